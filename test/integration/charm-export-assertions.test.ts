// Assertions that come inside charm exports never displace verified ones: snapd is served from the
// same assertion store, so a charm export's account assertion is stored only when it verifies up to
// a trusted root, exactly as a snap's would. PGlite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createTestApp, type TestApp } from '../support/test-app.js'
import { account, fixture, generateSigningKey, testStoreKey } from '../support/assertion-signer.js'
import { accountAssertion, buildCharmExport } from '../support/charm-builder.js'
import { packPair, PUBLISHER, SIGNED_AT, signedSnap, TEST_ROOT_FILES } from '../support/snap-builder.js'
import { dialects } from '../support/dialects.js'

const hello = signedSnap({ name: 'hello', version: '1.0', architectures: ['amd64'], revision: 3 })
const common = { timestamp: SIGNED_AT, signedAt: SIGNED_AT }

/** A charm export whose nested tarball carries `assert` as the publisher's account assertion. */
const charmWith = (name: string, assert: Buffer | string): Promise<Buffer> =>
  buildCharmExport({
    charms: [{ name, revision: 1, publisher: false, extraMembers: [{ name: `${name}_publisher_account.assert`, data: assert }] }],
  })

const FORGED: Array<[string, () => Buffer | string]> = [
  // Same account id, a higher revision, a signature nobody made: the overwrite a revision bump would allow.
  [
    'an unsigned account assertion with a higher revision',
    () => accountAssertion({ id: PUBLISHER.id, username: 'mallory', displayName: 'Mallory' }).replace('revision: 1', 'revision: 9'),
  ],
  // Well-formed and really signed, but by a key no trusted root certifies.
  [
    'an account assertion signed by an unknown key',
    () =>
      account({
        ...common,
        key: generateSigningKey(),
        accountId: PUBLISHER.id,
        username: 'mallory',
        displayName: 'Mallory',
        validation: 'verified',
        extra: { revision: '9' },
      }),
  ],
]

describe.each(dialects)('%s: charm export assertions', (dialect) => {
  let t: TestApp
  let verified: Buffer
  const served = (path: string) => t.app.inject({ url: path, headers: { accept: 'application/x.ubuntu.assertion' } })
  const assertionRows = async () =>
    (
      await sql<
        Record<string, unknown>
      >`SELECT type, primary_key, revision, encode(body, 'base64') AS body FROM assertions ORDER BY type, primary_key`.execute(
        t.database.db,
      )
    ).rows

  beforeAll(async () => {
    t = await createTestApp(dialect, { trustedAssertions: TEST_ROOT_FILES })
    const res = await t.push('/admin/v1/snaps', 'hello_3.tar', await packPair(hello))
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const r = await served(`/v2/assertions/account/${PUBLISHER.id}`)
    expect(r.statusCode).toBe(200)
    verified = r.rawPayload
    expect(hello.assert.includes(verified.subarray(0, verified.length - 1))).toBe(true)
  })
  afterAll(async () => {
    await t?.close()
  })

  it.each(FORGED.map(([name, make], i) => [name, make, i] as const))(
    '%s: imported as a charm, never served to snapd',
    async (_name, make, i) => {
      const before = await assertionRows()
      const res = await t.push('/admin/v1/charms', `forged-${'ab'[i]}.tar.gz`, await charmWith(`forged-${'ab'[i]}`, make()))
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      expect(await assertionRows()).toEqual(before)
      const r = await served(`/v2/assertions/account/${PUBLISHER.id}`)
      expect(r.statusCode).toBe(200)
      expect(r.rawPayload.equals(verified)).toBe(true)
    },
  )

  it('an unverified account assertion for an account the store does not hold is not served either', async () => {
    const res = await t.push(
      '/admin/v1/charms',
      'stranger.tar.gz',
      await charmWith(
        'stranger',
        accountAssertion({ id: 'stranger0000000000000000000000ab', username: 'stranger', displayName: 'Stranger' }),
      ),
    )
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect((await served('/v2/assertions/account/stranger0000000000000000000000ab')).statusCode).toBe(404)
  })

  it('an assertion member that does not parse refuses the export, naming the member and the problem', async () => {
    const before = await assertionRows()
    const bad = accountAssertion({ id: PUBLISHER.id, username: 'x', displayName: 'X' }).replace('type: account', 'type: no-such-type')
    const res = await t.push('/admin/v1/charms', 'unparsed.tar.gz', await charmWith('unparsed', bad))
    expect(res.status, JSON.stringify(res.body)).toBe(422)
    expect(JSON.stringify(res.body)).toMatch(/unparsed_publisher_account\.assert.*unknown assertion type \\"no-such-type\\"/)
    expect(await assertionRows()).toEqual(before)
  })

  it('an account assertion that verifies up to a trusted root is stored and served, as from a snap', async () => {
    const newer = account({
      ...common,
      key: testStoreKey(),
      accountId: PUBLISHER.id,
      username: PUBLISHER.username,
      displayName: 'Publisher One (renamed)',
      validation: 'verified',
      extra: { revision: '2' },
    })
    const chain = Buffer.concat([fixture('test-store.account-key'), Buffer.from('\n'), newer])
    const res = await t.push('/admin/v1/charms', 'signed.tar.gz', await charmWith('signed', chain))
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const r = await served(`/v2/assertions/account/${PUBLISHER.id}`)
    expect(r.statusCode).toBe(200)
    expect(r.rawPayload.equals(newer)).toBe(true)
  })
})
