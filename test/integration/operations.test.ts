// release, close and remove through the admin API, on PGlite and PostgreSQL: what Juju and snapd
// are served right after each change (kept answers included), idempotence, and refusals that
// leave the store exactly as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/test-app.js'
import { buildCharmExport } from '../support/charm-builder.js'
import { buildBundleExport } from '../support/bundle-builder.js'
import { packPair, signedSnap, snapIdOf, TEST_ROOT_FILES } from '../support/snap-builder.js'
import { installByChannel, installByRevision, refreshOne } from '../support/juju-requests.js'
import { dialects } from '../support/dialects.js'

const AMD64 = { name: 'ubuntu', channel: '22.04', architecture: 'amd64' }
const ARM64 = { ...AMD64, architecture: 'arm64' }

describe.each(dialects)('%s: release, close, remove', (dialect) => {
  let t: TestApp
  let pgId = ''
  const auth = () => ({ authorization: `Bearer ${t.token}` })
  const op = async (path: string, payload: unknown) => {
    const res = await t.app.inject({ method: 'POST', url: `/admin/v1/${path}`, payload: payload as object, headers: auth() })
    return { status: res.statusCode, body: res.json() }
  }
  const charmhub = async (body: unknown) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v2/charms/refresh',
      payload: body as object,
      headers: { 'content-type': 'application/json' },
    })
    expect(res.statusCode).toBe(200)
    return res.json().results[0]
  }
  const refresh = (channel: string, base = AMD64) => charmhub(refreshOne('3.6', pgId, 1, channel, base))
  const snapRefresh = async (name: string, channel: string, architecture: string) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v2/snaps/refresh',
      payload: JSON.stringify({
        context: [],
        fields: ['revision', 'download'],
        actions: [{ action: 'install', 'instance-key': 'k', name, channel, epoch: null }],
      }),
      headers: { 'content-type': 'application/json', 'snap-device-architecture': architecture, 'snap-device-series': '16' },
    })
    return res.json().results[0]
  }
  const auditCount = async () => (await t.app.inject({ url: '/admin/v1/audit', headers: auth() })).json().entries.length

  beforeAll(async () => {
    t = await createTestApp(dialect, { trustedAssertions: TEST_ROOT_FILES })
    for (const revision of [1, 2, 3]) {
      const res = await t.push(
        '/admin/v1/charms',
        `pg-${revision}.tar.gz`,
        await buildCharmExport({ charms: [{ name: 'pg', revision, bases: ['ubuntu@22.04/amd64,arm64'] }] }),
      )
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      pgId = res.body.revisions[0].id
    }
  })
  afterAll(async () => {
    await t?.close()
  })

  it('release points channels at a revision on every base it supports; a kept refresh answer is not served after it', async () => {
    expect((await refresh('stable')).charm.revision).toBe(1)
    expect((await refresh('stable')).charm.revision).toBe(1) // now kept
    const res = await op('release', { name: 'pg', revision: 2, channels: ['stable', 'edge'] })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.changes).toEqual([
      { slot: 'latest/stable ubuntu@22.04/amd64', from: 1, to: 2 },
      { slot: 'latest/stable ubuntu@22.04/arm64', from: 1, to: 2 },
      { slot: 'latest/edge ubuntu@22.04/amd64', from: null, to: 2 },
      { slot: 'latest/edge ubuntu@22.04/arm64', from: null, to: 2 },
    ])
    const r = await refresh('stable')
    expect(r.charm.revision).toBe(2)
    expect((await refresh('edge', ARM64)).charm.revision).toBe(2)
  })

  it('a repeated release changes nothing, not even the audit trail', async () => {
    const before = await t.dump()
    const audits = await auditCount()
    const res = await op('release', { name: 'pg', revision: 2, channels: ['latest/stable', 'edge'] })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ changes: [], unchanged: 4 })
    expect(await t.dump()).toBe(before)
    expect(await auditCount()).toBe(audits)
  })

  it('--arch narrows a release to one architecture', async () => {
    const res = await op('release', { name: 'pg', revision: 3, channels: ['beta'], arch: 'arm64' })
    expect(res.body.changes).toEqual([{ slot: 'latest/beta ubuntu@22.04/arm64', from: null, to: 3 }])
    expect((await refresh('beta', ARM64)).charm.revision).toBe(3)
    expect((await refresh('beta', AMD64)).charm.revision).toBe(2) // beta empty on amd64: falls back to stable
  })

  it('close makes clients follow the next more stable open risk, and info stops listing the channel', async () => {
    await op('release', { name: 'pg', revision: 3, channels: ['edge'] })
    // Answers kept before the close must not be served after it.
    for (let i = 0; i < 2; i++) {
      expect((await refresh('edge', ARM64))['effective-channel']).toBe('latest/edge')
      expect((await refresh('edge', AMD64)).charm.revision).toBe(3)
      expect(
        (await t.app.inject({ url: '/v2/charms/info/pg?fields=channel-map' }))
          .json()
          ['channel-map'].map((c: { channel: { name: string } }) => c.channel.name),
      ).toContain('edge')
    }
    const res = await op('close', { name: 'pg', channels: ['edge'] })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.changes.map((c: { slot: string }) => c.slot)).toEqual([
      'latest/edge ubuntu@22.04/amd64',
      'latest/edge ubuntu@22.04/arm64',
    ])
    const arm = await refresh('edge', ARM64)
    expect(arm.charm.revision).toBe(3) // beta (arm64 only) is next
    expect(arm['effective-channel']).toBe('latest/beta')
    const amd = await refresh('edge', AMD64)
    expect(amd.charm.revision).toBe(2) // no beta or candidate on amd64: stable
    expect(amd['effective-channel']).toBe('latest/stable')
    const info = (await t.app.inject({ url: '/v2/charms/info/pg?fields=channel-map' })).json()
    expect(info['channel-map'].map((c: { channel: { name: string } }) => c.channel.name)).not.toContain('edge')
  })

  it('closing again is done and changes nothing; a channel never used is unknown', async () => {
    const before = await t.dump()
    const again = await op('close', { name: 'pg', channels: ['edge'] })
    expect(again.status).toBe(200)
    expect(again.body).toMatchObject({ changes: [], unchanged: 1 })
    const never = await op('close', { name: 'pg', channels: ['14/edge'] })
    expect(never.status).toBe(404)
    expect(never.body.error.message).toBe('charm pg has never been released to 14/edge')
    expect(await t.dump()).toBe(before)
  })

  it.each([
    [
      { name: 'pg', revision: 2, channels: ['stable', 'stable/x/y/z'] },
      422,
      /"stable\/x\/y\/z" is not a channel: expected \[track\/\]risk\[\/branch\]/,
    ],
    [
      { name: 'pg', revision: 2, channels: ['stable'], base: 'ubuntu@24.04' },
      422,
      /charm pg revision 2 does not support ubuntu@24.04 \(it supports ubuntu@22.04\/amd64, ubuntu@22.04\/arm64\)/,
    ],
    [{ name: 'pg', revision: 2, channels: ['stable'], arch: 's390x' }, 422, /does not support s390x/],
    [{ name: 'pg', revision: 9, channels: ['stable'] }, 404, /charm pg has no revision 9 in the store/],
    [{ name: 'nope', revision: 1, channels: ['stable'] }, 404, /no charm, bundle or snap named "nope" in the store/],
    [{ name: 'pg', type: 'snap', revision: 1, channels: ['stable'] }, 404, /no snap named "pg"/],
  ])('refuses a bad release %#, changing nothing', async (body, status, message) => {
    const before = await t.dump()
    const res = await op('release', body)
    expect(res.status).toBe(status)
    expect(res.body.error.message).toMatch(message)
    expect(await t.dump()).toBe(before)
  })

  it('a re-push does not reopen a channel the operator closed (only --push-channel-map does)', async () => {
    const data = await buildCharmExport({ charms: [{ name: 'solo', revision: 1, bases: ['ubuntu@22.04/amd64'] }] })
    expect((await t.push('/admin/v1/charms', 's.tar.gz', data)).status).toBe(200)
    expect((await op('close', { name: 'solo', channels: ['stable'] })).status).toBe(200)
    const again = await t.push('/admin/v1/charms', 's.tar.gz', data)
    expect(again.body.revisions[0]).toMatchObject({
      status: 'unchanged',
      released: [],
      held: [{ channel: 'latest/stable', revision: null }],
    })
    const r = await charmhub(installByChannel('3.6', 'solo', 'stable', AMD64))
    expect(r.error.code).toBe('revision-not-found')
  })

  it('remove takes a revision out: its channels close, install by revision and its download URL stop at once', async () => {
    const before = await charmhub(installByRevision('4.0', 'pg', 3))
    const url = new URL(before.charm.download.url).pathname
    expect((await t.app.inject({ url })).statusCode).toBe(200)
    const res = await op('remove', { name: 'pg', revisions: [3] })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body).toMatchObject({ removed: [3], packageRemoved: false, closed: ['latest/beta ubuntu@22.04/arm64'] })
    const after = await charmhub(installByRevision('4.0', 'pg', 3))
    expect(after.error.code).toBe('revision-not-found')
    expect((await t.app.inject({ url })).statusCode).toBe(404)
    expect((await refresh('beta', ARM64)).charm.revision).toBe(2)
    const list = (await t.app.inject({ url: '/admin/v1/charms/pg', headers: auth() })).json()
    expect(list.revisions.map((r: { revision: number }) => r.revision)).toEqual([1, 2])
    expect(list.revisions[0]).toMatchObject({ channels: [], formerly: [{ channel: 'latest/stable' }, { channel: 'latest/stable' }] })
  })

  it('removing again is done; an unknown revision is refused', async () => {
    const before = await t.dump()
    const again = await op('remove', { name: 'pg', revisions: [3] })
    expect(again.status).toBe(200)
    expect(again.body).toMatchObject({ removed: [], alreadyRemoved: [3] })
    const unknown = await op('remove', { name: 'pg', revisions: [2, 77] })
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.message).toBe('charm pg has no revision 77 in the store')
    expect(await t.dump()).toBe(before)
  })

  it('refuses to remove the last revision of a charm a bundle names, unless forced', async () => {
    const data = await buildBundleExport({
      name: 'kit',
      applications: { db: { charm: 'dbx' } },
      charms: [{ name: 'dbx', revision: 5, bases: ['ubuntu@22.04/amd64'] }],
    })
    expect((await t.push('/admin/v1/bundles', 'kit.tar.gz', data)).status).toBe(200)
    const before = await t.dump()
    const res = await op('remove', { name: 'dbx' })
    expect(res.status).toBe(409)
    expect(res.body.error.message).toMatch(/charm dbx is named by bundle kit: removing its last revision would break it/)
    expect(await t.dump()).toBe(before)
    const forced = await op('remove', { name: 'dbx', force: true })
    expect(forced.body).toMatchObject({ removed: [5], packageRemoved: true })
    expect((await charmhub(installByChannel('3.6', 'dbx', 'stable', AMD64))).error.code).toBe('name-not-found')
    const again = await op('remove', { name: 'dbx' })
    expect(again.status).toBe(200)
    expect(again.body).toMatchObject({ removed: [], packageRemoved: true })
  })

  describe('snaps', () => {
    beforeAll(async () => {
      for (const [revision, architectures] of [
        [10, ['amd64']],
        [11, ['arm64']],
        [12, ['amd64']],
      ] as const) {
        const res = await t.push(
          '/admin/v1/snaps',
          `tool_${revision}.tar`,
          await packPair(signedSnap({ name: 'tool', revision, architectures: [...architectures] })),
        )
        expect(res.status, JSON.stringify(res.body)).toBe(200)
      }
      // a snap that shares its name with the charm
      expect((await t.push('/admin/v1/snaps', 'pg_1.tar', await packPair(signedSnap({ name: 'pg', revision: 1 })))).status).toBe(200)
    })

    it("release fills the revision's architecture only", async () => {
      expect((await snapRefresh('tool', 'candidate', 'amd64')).snap.revision).toBe(10)
      const res = await op('release', { name: 'tool', revision: 12, channels: ['candidate'] })
      expect(res.body.changes).toEqual([{ slot: 'latest/candidate amd64', from: null, to: 12 }])
      expect((await snapRefresh('tool', 'candidate', 'amd64')).snap.revision).toBe(12)
      expect((await snapRefresh('tool', 'candidate', 'arm64')).snap.revision).toBe(11)
    })

    it('refuses --base for a snap, and a name both a charm and a snap carry without --type', async () => {
      const before = await t.dump()
      const base = await op('release', { name: 'tool', revision: 12, channels: ['stable'], base: 'ubuntu@22.04' })
      expect(base.status).toBe(422)
      expect(base.body.error.message).toMatch(/tool is a snap: snaps are released per architecture only/)
      const both = await op('close', { name: 'pg', channels: ['stable'] })
      expect(both.status).toBe(400)
      expect(both.body.error).toEqual({ code: 'ambiguous', message: '"pg" is both a charm and a snap: say which with --type charm|snap' })
      expect(await t.dump()).toBe(before)
    })

    it('close falls back to the next risk; remove answers revision-not-found and 404s the download', async () => {
      expect((await op('close', { name: 'tool', channels: ['candidate'], arch: 'amd64' })).status).toBe(200)
      expect((await snapRefresh('tool', 'candidate', 'amd64')).snap.revision).toBe(10)
      expect((await snapRefresh('tool', 'candidate', 'arm64')).snap.revision).toBe(11)
      const res = await op('remove', { name: 'pg', type: 'snap' })
      expect(res.body).toMatchObject({ removed: [1], packageRemoved: true })
      expect((await snapRefresh('pg', 'stable', 'amd64')).error.code).toBe('name-not-found')
      expect((await op('remove', { name: 'tool', type: 'snap', revisions: [10] })).status).toBe(200)
      const r = await snapRefresh('tool', 'stable', 'amd64')
      expect(r.error.code).toBe('revision-not-found')
      expect((await t.app.inject({ url: `/api/v1/snaps/download/${snapIdOf('tool')}_10.snap` })).statusCode).toBe(404)
    })
  })
})
