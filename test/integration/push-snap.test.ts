// push-snap through the admin API: snap exports and `snap download` pairs, real squashfs images and
// assertions signed with snapd's test store key, verified up to the test root. PGlite and PostgreSQL.
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/test-app.js'
import { TEST_ROOT_KEY_ID, TEST_STORE_KEY_ID, digestOf } from '../support/assertion-signer.js'
import { buildSnapExport, packPair, PUBLISHER, signedSnap, snapIdOf, TEST_ROOT_FILES } from '../support/snap-builder.js'
import { dialects } from '../support/dialects.js'

const jq6 = signedSnap({ name: 'jq', version: '1.6', architectures: ['amd64'], revision: 6 })
const jq8 = signedSnap({ name: 'jq', version: '1.6', architectures: ['arm64'], revision: 8 })
const infoJson = {
  name: 'jq',
  'snap-id': snapIdOf('jq'),
  store: 'ubuntu',
  'channel-map': [
    { channel: { architecture: 'amd64', name: 'stable', risk: 'stable', track: 'latest' }, revision: 6, version: '1.6' },
    { channel: { architecture: 'arm64', name: 'stable', risk: 'stable', track: 'latest' }, revision: 8, version: '1.6' },
    { channel: { architecture: 'amd64', name: 'edge', risk: 'edge', track: 'latest' }, revision: 6, version: '1.6' },
    // a revision the export does not carry: no blob to serve, so it is dropped
    { channel: { architecture: 'amd64', name: '1.5/beta', risk: 'beta', track: '1.5' }, revision: 5, version: '1.5' },
  ],
}
const summary = (body: any) =>
  body.revisions.map(
    (r: any) => `${r.name}/${r.revision}:${r.status}:${r.bases.map((b: any) => b.architecture).join(',')}:${r.released.join(',')}`,
  )

describe.each(dialects)('%s: push-snap', (dialect) => {
  let t: TestApp
  const admin = (url: string) => t.app.inject({ url, headers: { authorization: `Bearer ${t.token}` } })
  beforeAll(async () => {
    t = await createTestApp(dialect, { trustedAssertions: TEST_ROOT_FILES })
  })
  afterAll(async () => {
    await t?.close()
  })

  it('imports an export with two revisions (amd64 + arm64) and a channel map JSON', async () => {
    const res = await t.push(
      '/admin/v1/snaps',
      'jq-20221026T104628.tar.gz',
      await buildSnapExport({ prefix: 'jq-20221026T104628/', snaps: [jq6, jq8], json: infoJson }),
    )
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(summary(res.body)).toEqual(['jq/6:imported:amd64:latest/stable,latest/edge', 'jq/8:imported:arm64:latest/stable'])
    expect(res.body.revisions[0]).toMatchObject({ type: 'snap', id: snapIdOf('jq'), version: '1.6' })

    const list = (await admin('/admin/v1/snaps')).json().packages
    expect(list).toHaveLength(1)
    expect(list[0]).toMatchObject({
      id: snapIdOf('jq'),
      name: 'jq',
      type: 'snap',
      summary: 'jq summary',
      publisher: { id: PUBLISHER.id, username: PUBLISHER.username, 'display-name': PUBLISHER.displayName, validation: 'verified' },
    })
    expect(list[0].channels.map((c: any) => `${c.channel}:${c.base.architecture}:${c.revision}`)).toEqual([
      'latest/stable:amd64:6',
      'latest/stable:arm64:8',
      'latest/edge:amd64:6',
    ])
    expect(list[0].revisions.map((r: any) => [r.revision, r.size, r.bases])).toEqual([
      [6, jq6.snap.length, [{ name: '', channel: '', architecture: 'amd64' }]],
      [8, jq8.snap.length, [{ name: '', channel: '', architecture: 'arm64' }]],
    ])
  })

  it('stores snap.yaml, the extra fields and every assertion byte for byte, under the store lookup keys', async () => {
    const db = t.database.db
    const rev = await db
      .selectFrom('revisions')
      .selectAll()
      .where('package_id', '=', snapIdOf('jq'))
      .where('revision', '=', 6)
      .executeTakeFirstOrThrow()
    expect(rev.snap_yaml).toMatch(/^name: jq\nversion: '1\.6'/)
    expect(rev.extra).toEqual({
      confinement: 'strict',
      grade: 'stable',
      base: 'core22',
      type: 'app',
      epoch: { read: [0], write: [0] },
      'snap-yaml-name': 'jq',
      'publisher-id': PUBLISHER.id,
      store: 'ubuntu',
    })
    const rows = await db.selectFrom('assertions').select(['type', 'primary_key', 'body']).orderBy('type').orderBy('primary_key').execute()
    // The whole chain snapd may ask for, up to and including the trusted root it ends in.
    expect(rows.map((r) => `${r.type} ${r.primary_key}`)).toEqual([
      `account ${PUBLISHER.id}`,
      'account testrootorg',
      `account-key ${TEST_STORE_KEY_ID}`,
      `account-key ${TEST_ROOT_KEY_ID}`,
      `snap-declaration 16/${snapIdOf('jq')}`,
      ...[digestOf(jq6.snap), digestOf(jq8.snap)].sort().map((d) => `snap-revision ${d}`),
    ])
    const roots = TEST_ROOT_FILES.map((f) => readFileSync(f))
    for (const r of rows) expect([jq6.assert, jq8.assert, ...roots].some((s) => s.includes(Buffer.from(r.body)))).toBe(true)
    const links = await db.selectFrom('package_assertions').selectAll().execute()
    expect(links.every((l) => l.package_id === snapIdOf('jq'))).toBe(true)
    expect(links).toHaveLength(rows.length)
  })

  it('re-pushing the same export changes nothing', async () => {
    const before = await t.dump()
    const res = await t.push(
      '/admin/v1/snaps',
      'jq-20221026T104628.tar.gz',
      await buildSnapExport({ prefix: 'jq-20221026T104628/', snaps: [jq6, jq8], json: infoJson }),
    )
    expect(res.status).toBe(200)
    expect(res.body.revisions.map((r: any) => r.status)).toEqual(['unchanged', 'unchanged'])
    expect(await t.dump()).toBe(before)
  })

  it('imports a `snap download` pair, to latest/stable by default and to ?channel= when given', async () => {
    const hello = signedSnap({ name: 'hello', architectures: ['all'], revision: 3 })
    const res = await t.push('/admin/v1/snaps', 'hello_3.snap', await packPair(hello))
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(summary(res.body)).toEqual(['hello/3:imported:all:latest/stable'])

    const next = signedSnap({ name: 'hello', version: '2.0', architectures: ['all'], revision: 4 })
    const edge = await t.push('/admin/v1/snaps?channel=2.0/edge', 'hello_4.snap', await packPair(next))
    expect(summary(edge.body)).toEqual(['hello/4:imported:all:2.0/edge'])
    // without --push-channel-map an occupied channel keeps its revision
    const held = await t.push('/admin/v1/snaps', 'hello_4.snap', await packPair(next))
    expect(held.body.revisions[0]).toMatchObject({ status: 'unchanged', held: [{ channel: 'latest/stable', revision: 3 }] })
    // A device's refresh, answered twice (the second from kept results), then again after the move.
    const id = snapIdOf('hello')
    const deviceRefresh = async () =>
      (
        await t.app.inject({
          method: 'POST',
          url: '/v2/snaps/refresh',
          headers: { 'content-type': 'application/json', 'snap-device-architecture': 'amd64', 'snap-device-series': '16' },
          payload: JSON.stringify({
            context: [
              { 'snap-id': id, 'instance-key': id, revision: 3, 'tracking-channel': 'latest/stable', epoch: { read: [0], write: [0] } },
            ],
            actions: [{ action: 'refresh', 'instance-key': id, 'snap-id': id }],
          }),
        })
      ).json().results[0].snap.revision
    expect(await deviceRefresh()).toBe(3)
    expect(await deviceRefresh()).toBe(3)
    const moved = await t.push('/admin/v1/snaps?push-channel-map=true', 'hello_4.snap', await packPair(next))
    expect(moved.body.revisions[0]).toMatchObject({ status: 'updated', released: ['latest/stable'] })
    expect(await deviceRefresh()).toBe(4)
  })

  it('applies push_channel releases in file order: the last for a channel wins', async () => {
    const ga51 = signedSnap({ name: 'grafana-agent', version: '0.35', revision: 51 })
    const ga82 = signedSnap({ name: 'grafana-agent', version: '0.40', revision: 82 })
    const json = {
      packages: [
        { name: 'grafana-agent', push_channel: 'latest/stable', revision: 51 },
        { name: 'grafana-agent', push_channel: 'latest/candidate', revision: 51 },
        { name: 'grafana-agent', push_channel: 'latest/stable', revision: 82 },
      ],
      store: 'acme-store',
    }
    const res = await t.push(
      '/admin/v1/snaps',
      'grafana-agent-20241008T082122.tar.gz',
      await buildSnapExport({ snaps: [ga51, ga82], json }),
    )
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(summary(res.body)).toEqual(['grafana-agent/51:imported:all:latest/candidate', 'grafana-agent/82:imported:all:latest/stable'])
    const rev = await t.database.db
      .selectFrom('revisions')
      .select('extra')
      .where('package_id', '=', snapIdOf('grafana-agent'))
      .where('revision', '=', 82)
      .executeTakeFirstOrThrow()
    expect(rev.extra).toMatchObject({ store: 'acme-store' })
  })

  it('refuses an invalid ?channel= before reading anything', async () => {
    const before = await t.dump()
    const res = await t.push('/admin/v1/snaps?channel=latest/nope', 'x_1.snap', await packPair(signedSnap({ name: 'xsnap', revision: 1 })))
    expect(res.status).toBe(422)
    expect(res.body.error.message).toMatch(/x_1\.snap \(channel\): "latest\/nope" is not a channel/)
    expect(await t.dump()).toBe(before)
  })
})
