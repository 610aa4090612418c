// Admin tokens with ids, the audit trail and status through the admin API, on PGlite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createTestApp, type TestApp } from '../support/test-app.js'
import { buildCharmExport } from '../support/charm-builder.js'
import { createToken, loadSigningKey, prepareAdminToken, adminTokenPath, signingKeyPath } from '../../src/admin/tokens.js'
import { tokenStore } from '../../src/storage/db/tokens.repo.js'
import { TEST_ROOT_FILES } from '../support/snap-builder.js'
import { dialects } from '../support/dialects.js'
import { readFileSync, rmSync } from 'node:fs'

describe.each(dialects)('%s: tokens, audit, status', (dialect) => {
  let t: TestApp
  const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, token: string, payload?: unknown) => {
    const res = await t.app.inject({
      method,
      url: `/admin/v1/${url}`,
      headers: { authorization: `Bearer ${token}` },
      ...(payload ? { payload: payload as object } : {}),
    })
    return { status: res.statusCode, body: res.json() }
  }

  beforeAll(async () => {
    t = await createTestApp(dialect, { trustedAssertions: TEST_ROOT_FILES })
  })
  afterAll(async () => {
    await t?.close()
  })

  it('registers a token minted before tokens were recorded at its first use', async () => {
    const list = await call('GET', 'tokens', t.token)
    expect(list.status).toBe(200)
    expect(list.body.tokens).toHaveLength(1)
    expect(list.body.tokens[0]).toMatchObject({ name: '', revokedAt: null })
    expect(Date.parse(list.body.tokens[0].lastUsedAt)).toBeGreaterThan(Date.now() - 60_000)
  })

  it('mints a named token that works, lists it, revokes it (refused at once), and revoking again is done', async () => {
    const minted = await call('POST', 'tokens', t.token, { name: 'ci deploy', ttl: 3600 })
    expect(minted.status, JSON.stringify(minted.body)).toBe(200)
    const { id, token, expiresAt } = minted.body
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(3500_000)
    expect((await call('GET', 'charms', token)).status).toBe(200)
    const listed = (await call('GET', 'tokens', t.token)).body.tokens.find((x: { id: string }) => x.id === id)
    expect(listed).toMatchObject({ id, name: 'ci deploy', expiresAt, revokedAt: null })
    expect(listed.lastUsedAt).not.toBeNull()

    const revoked = await call('DELETE', `tokens/${id}`, t.token)
    expect(revoked.status).toBe(200)
    expect(revoked.body).toMatchObject({ already: false, token: { id } })
    const refused = await call('GET', 'charms', token)
    expect(refused.status).toBe(401)
    expect(refused.body.error.message).toMatch(new RegExp(`^admin token ${id} was revoked at `))
    const again = await call('DELETE', `tokens/${id}`, t.token)
    expect(again.status).toBe(200)
    expect(again.body.already).toBe(true)
    const unknown = await call('DELETE', 'tokens/nosuchid', t.token)
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.message).toMatch(/no admin token with id "nosuchid"/)
  })

  it('says an expired token is expired', async () => {
    const expired = await createToken(loadSigningKey(t.dataDir, false), { ttlSeconds: -60 })
    const res = await call('GET', 'charms', expired)
    expect(res.status).toBe(401)
    expect(res.body.error.message).toMatch(/^admin token [0-9a-f]+ expired at \d{4}-.*Z; mint a new one/)
  })

  it('refuses a bad token name, changing nothing', async () => {
    const before = (await call('GET', 'tokens', t.token)).body.tokens.length
    const res = await call('POST', 'tokens', t.token, { name: 'bad\u001b[31mname' })
    expect(res.status).toBe(422)
    expect(res.body.error.message).toMatch(/is not a token name/)
    expect((await call('GET', 'tokens', t.token)).body.tokens.length).toBe(before)
  })

  it('records pushes, releases and token changes in the audit trail with the token id and name', async () => {
    const minted = (await call('POST', 'tokens', t.token, { name: 'operator' })).body
    const data = await buildCharmExport({ charms: [{ name: 'audited', revision: 4, bases: ['ubuntu@22.04/amd64'] }] })
    const boundary = 'b0undary'
    const payload = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.tar.gz"\r\n\r\n`),
      data,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ])
    const push = await t.app.inject({
      method: 'POST',
      url: '/admin/v1/charms',
      payload,
      headers: { authorization: `Bearer ${minted.token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
    })
    expect(push.statusCode).toBe(200)
    expect((await call('POST', 'release', minted.token, { name: 'audited', revision: 4, channels: ['edge'] })).status).toBe(200)
    const { entries } = (await call('GET', `audit?since=${encodeURIComponent(new Date(Date.now() - 3600_000).toISOString())}`, t.token))
      .body
    const mine = entries.filter((e: { tokenId: string }) => e.tokenId === minted.id)
    expect(mine.map((e: { action: string }) => e.action)).toEqual(['push', 'release'])
    expect(mine[0]).toMatchObject({
      tokenName: 'operator',
      packageType: 'charm',
      packageName: 'audited',
      revisions: [4],
      channels: ['latest/stable'],
    })
    expect(mine[1]).toMatchObject({ packageName: 'audited', revisions: [4], channels: ['latest/edge ubuntu@22.04/amd64'] })
    expect(entries.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['token-create', 'token-revoke']))
    const future = (await call('GET', `audit?since=${encodeURIComponent(new Date(Date.now() + 3600_000).toISOString())}`, t.token)).body
    expect(future.entries).toEqual([])
  })

  it('status: version, database health, counts, free space, trusted roots, registry, uptime', async () => {
    const s = (await call('GET', 'status', t.token)).body
    expect(s).toMatchObject({
      database: { kind: dialect, ok: true },
      ociRegistryDomain: null,
      counts: { packages: { charm: 1, bundle: 0, snap: 0 }, revisions: 1, blobs: 1 },
    })
    expect(s.counts.bytes).toBeGreaterThan(0)
    expect(s.blobStore.freeBytes).toBeGreaterThan(0)
    expect(s.trustedRoots.map((r: { accountId: string }) => r.accountId)).toEqual(expect.arrayContaining(['canonical', 'testrootorg']))
    expect(s.uptimeSeconds).toBeGreaterThanOrEqual(0)
    expect(typeof s.version).toBe('string')
  })

  it('the server start writes a fresh admin token when the old one is revoked or the signing key rotated', async () => {
    const tokens = tokenStore(t.database.db)
    const first = await prepareAdminToken(t.dataDir, loadSigningKey(t.dataDir, false), tokens)
    expect(first.outcome).toBe('created')
    const boot = readFileSync(adminTokenPath(t.dataDir), 'utf8').trim()
    expect((await call('GET', 'charms', boot)).status).toBe(200)
    expect((await prepareAdminToken(t.dataDir, loadSigningKey(t.dataDir, false), tokens)).outcome).toBe('kept')
    const bootId = (await call('GET', 'tokens', t.token)).body.tokens.find((x: { name: string }) => x.name === 'bootstrap').id
    await call('DELETE', `tokens/${bootId}`, t.token)
    const replaced = await prepareAdminToken(t.dataDir, loadSigningKey(t.dataDir, false), tokens)
    expect(replaced).toMatchObject({ outcome: 'replaced', reason: `its id ${bootId} was revoked` })
    const fresh = readFileSync(adminTokenPath(t.dataDir), 'utf8').trim()
    expect((await call('GET', 'charms', fresh)).status).toBe(200)

    rmSync(signingKeyPath(t.dataDir))
    const rotated = await prepareAdminToken(t.dataDir, loadSigningKey(t.dataDir, true), tokens)
    expect(rotated.outcome).toBe('replaced')
    expect(rotated.reason).toMatch(/does not verify with the current signing key/)
    const rows = await sql<{ n: number }>`SELECT count(*)::int AS n FROM admin_tokens WHERE name = 'bootstrap'`.execute(t.database.db)
    expect(rows.rows[0]!.n).toBe(3)
  })
})
