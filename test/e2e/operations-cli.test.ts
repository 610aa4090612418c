// End to end: `airlock release`, `close`, `remove`, `list NAME`, `status`, `token` and `audit` run
// as an operator runs them, against the real server process, and what the Juju-faithful client and
// the snap store API are served after each change. PGlite and PostgreSQL.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCharmExport, writeFixture } from '../support/charm-builder.js'
import { createTestDatabase, type TestDatabase } from '../support/postgres.js'
import { removeDir, runCli, startServer, type CliResult, type RunningServer } from '../support/server-process.js'
import { signedSnap, snapIdOf, TEST_ROOT_FILES } from '../support/snap-builder.js'
import { JujuClient } from '../support/juju-client.js'
import { dialects } from '../support/dialects.js'
import pg from 'pg'

const AMD64 = { name: 'ubuntu', channel: '22.04', architecture: 'amd64' }

/** One line on stderr, no stack trace. */
function oneLine(r: CliResult, code: number, message: RegExp): void {
  expect(r.code, r.stderr).toBe(code)
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '')
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatch(message)
  expect(r.stderr).not.toMatch(/\n\s+at /)
}

describe.each(dialects)('%s: operating the store with the CLI', (dialect) => {
  let server: RunningServer
  let pgdb: TestDatabase | undefined
  let dir: string
  let pgId = ''
  const admin = () => ['--url', server.url, '--data-dir', server.dataDir]
  const cli = (...args: string[]) => runCli([...args, ...admin()])
  const snapApi = async (action: Record<string, unknown>, architecture = 'amd64') => {
    const res = await fetch(`${server.url}/v2/snaps/refresh`, {
      method: 'POST',
      body: JSON.stringify({ context: [], fields: ['revision', 'download'], actions: [{ 'instance-key': 'k', epoch: null, ...action }] }),
      headers: { 'content-type': 'application/json', 'snap-device-architecture': architecture, 'snap-device-series': '16' },
    })
    expect(res.status).toBe(200)
    return ((await res.json()) as { results: any[] }).results[0]
  }

  beforeAll(async () => {
    if (dialect === 'pg') pgdb = await createTestDatabase()
    // The embedded database's first initialisation takes the longest part of a first start; done
    // here by `airlock migrate`, it stays out of the server's start-up wait on a loaded machine.
    const dataDir = await mkdtemp(join(tmpdir(), 'airlock-ops-data-'))
    if (dialect === 'pglite') expect((await runCli(['migrate', '--data-dir', dataDir])).code).toBe(0)
    server = await startServer({ dataDir, databaseUrl: pgdb?.url, args: ['--trusted-assertions', TEST_ROOT_FILES.join(',')] })
    dir = await mkdtemp(join(tmpdir(), 'airlock-ops-'))
    for (const revision of [1, 2]) {
      const file = await writeFixture(
        dir,
        `pg-${revision}.tar.gz`,
        await buildCharmExport({ charms: [{ name: 'pg', revision, bases: ['ubuntu@22.04/amd64,arm64'] }] }),
      )
      const r = await cli('push-charms', file, '--json')
      expect(r.code, r.stderr).toBe(0)
      pgId = JSON.parse(r.stdout)[0].revisions[0].id
    }
    for (const [name, revision] of [
      ['pg', 1],
      ['hello', 10],
      ['hello', 11],
    ] as const) {
      const s = signedSnap({ name, revision, architectures: ['amd64'] })
      const r = await cli(
        'push-snap',
        await writeFixture(dir, `${name}_${revision}.snap`, s.snap),
        await writeFixture(dir, `${name}_${revision}.assert`, s.assert),
      )
      expect(r.code, r.stderr).toBe(0)
    }
  })
  afterAll(async () => {
    await server?.stop()
    await pgdb?.drop()
    if (server) await removeDir(server.dataDir)
    if (dir) await removeDir(dir)
  })

  it('release: Juju sees the new revision at once (a kept answer included); a repeat is done and changes nothing', async () => {
    const juju = new JujuClient(server.url, '4.0')
    expect((await juju.refresh(pgId, 1, 'latest/stable', AMD64)).charm.revision).toBe(1)
    oneLine(await cli('release', 'pg', '2', 'edge'), 2, /^airlock: "pg" is both a charm and a snap: say which with --type charm\|snap$/)
    const r = await cli('release', 'pg', '2', 'edge', 'stable', '--type', 'charm')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/latest\/stable ubuntu@22\.04\/amd64: 1 -> 2/)
    expect((await juju.refresh(pgId, 1, 'latest/stable', AMD64)).charm.revision).toBe(2)
    expect((await juju.resolve('pg', 'edge', AMD64)).charm.revision).toBe(2)
    const list = (await cli('list', 'charms', '--json')).stdout
    const again = await cli('release', 'pg', '2', 'edge', 'stable', '--type', 'charm', '--json')
    expect(again.code).toBe(0)
    expect(JSON.parse(again.stdout)).toMatchObject({ changes: [], unchanged: 4 })
    expect((await cli('list', 'charms', '--json')).stdout).toBe(list)
  })

  it('close: Juju follows the next more stable risk; closing again is done', async () => {
    const juju = new JujuClient(server.url, '3.6')
    expect((await cli('release', 'pg', '1', 'stable', '--type', 'charm')).code).toBe(0)
    const r = await cli('close', 'pg', 'edge', '--type', 'charm')
    expect(r.code, r.stderr).toBe(0)
    const got = await juju.resolve('pg', 'edge', AMD64)
    expect(got.charm.revision).toBe(1)
    expect(got['effective-channel']).toBe('latest/stable')
    const again = await cli('close', 'pg', 'edge', '--type', 'charm')
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/nothing to change/)
  })

  it.each([
    [
      ['release', 'pg', '2', 'stable/x/y/z', '--type', 'charm'],
      1,
      /^airlock: "stable\/x\/y\/z" is not a channel: expected \[track\/\]risk\[\/branch\]/,
    ],
    [
      ['release', 'pg', '2', 'stable', '--type', 'charm', '--base', 'ubuntu@24.04'],
      1,
      /^airlock: --base: charm pg revision 2 does not support ubuntu@24\.04 \(it supports ubuntu@22\.04\/amd64, ubuntu@22\.04\/arm64\)$/,
    ],
    [['release', 'pg', '9', 'stable', '--type', 'charm'], 1, /^airlock: charm pg has no revision 9 in the store$/],
    [['release', 'nope', '1', 'stable'], 1, /^airlock: no charm, bundle or snap named "nope" in the store$/],
    [['release', 'pg', 'x', 'stable'], 2, /^airlock: invalid REVISION "x": expected a revision number/],
    [['close', 'pg', 'stable', '--type', 'rock'], 2, /^airlock: invalid --type "rock": expected charm, bundle or snap$/],
    [['close', 'pg', 'beta', '--type', 'charm'], 1, /^airlock: charm pg has never been released to latest\/beta$/],
    [['remove', 'pg', '--type', 'charm', '--revision', '77'], 1, /^airlock: charm pg has no revision 77 in the store$/],
    [['token', 'revoke', 'nosuchid'], 1, /^airlock: no admin token with id "nosuchid"/],
    [['audit', '--since', 'yesterday'], 2, /^airlock: invalid --since "yesterday"/],
  ])('%j exits %i with one line, changing nothing', async (args, code, message) => {
    const before = (await cli('list', 'charms', '--json')).stdout
    oneLine(await cli(...args), code, message)
    expect((await cli('list', 'charms', '--json')).stdout).toBe(before)
  })

  it('remove: install by that revision is revision-not-found and its download URL 404s; removing again is done', async () => {
    const juju = new JujuClient(server.url, '4.0')
    const url = (await juju.installByRevision('pg', 2)).charm.download.url
    expect((await fetch(url)).status).toBe(200)
    const r = await cli('remove', 'pg', '--type', 'charm', '--revision', '2')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/charm pg: removed revision 2/)
    await expect(juju.installByRevision('pg', 2)).rejects.toThrow(/revision-not-found/)
    expect((await fetch(url)).status).toBe(404)
    const again = await cli('remove', 'pg', '--type', 'charm', '--revision', '2')
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/nothing to remove \(already removed: revision 2\)/)
  })

  it('snaps: release, close and remove as snapd sees them', async () => {
    expect((await snapApi({ action: 'install', name: 'hello', channel: 'candidate' })).snap.revision).toBe(10)
    expect((await cli('release', 'hello', '11', 'candidate')).code).toBe(0)
    expect((await snapApi({ action: 'install', name: 'hello', channel: 'candidate' })).snap.revision).toBe(11)
    expect((await cli('close', 'hello', 'candidate', '--arch', 'amd64')).code).toBe(0)
    expect((await snapApi({ action: 'install', name: 'hello', channel: 'candidate' })).snap.revision).toBe(10)
    const url = (await snapApi({ action: 'download', name: 'hello', revision: 11 })).snap.download.url
    expect((await fetch(url)).status).toBe(200)
    expect((await cli('remove', 'hello', '--revision', '11')).code).toBe(0)
    expect((await snapApi({ action: 'download', name: 'hello', revision: 11 })).error.code).toBe('revision-not-found')
    expect((await fetch(`${server.url}/api/v1/snaps/download/${snapIdOf('hello')}_11.snap`)).status).toBe(404)
  })

  it('list NAME shows every revision with its bases, size and channels now and before', async () => {
    const r = await cli('list', 'charms', 'pg')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^pg {2}\(charm, id [A-Za-z0-9]{32}\)\n {2}revision 1 {2}version 1 {2}\d+ bytes/)
    expect(r.stdout).toMatch(/bases: ubuntu@22\.04\/amd64, ubuntu@22\.04\/arm64/)
    expect(r.stdout).toMatch(/channels now: latest\/stable ubuntu@22\.04\/amd64, latest\/stable ubuntu@22\.04\/arm64/)
    const json = JSON.parse((await cli('list', 'snaps', 'hello', '--json')).stdout)
    expect(json.revisions).toMatchObject([{ revision: 10, bases: [{ architecture: 'amd64' }], channels: [{ channel: 'latest/stable' }] }])
    oneLine(await cli('list', 'bundles', 'pg'), 1, /^airlock: no bundle named "pg" in the store$/)
  })

  it('tokens: create with a name, list, use, revoke (refused at once), audit names them', async () => {
    const created = await cli('token', 'create', '--name', 'ci', '--ttl', '1h', '--json')
    expect(created.code, created.stderr).toBe(0)
    const { token, id } = JSON.parse(created.stdout) as { token: string; id: string }
    const use = await runCli(['release', 'pg', '1', 'candidate', '--type', 'charm', '--url', server.url, '--token', token])
    expect(use.code, use.stderr).toBe(0)
    const list = await cli('token', 'list')
    expect(list.stdout).toMatch(/^ID\s+NAME\s+CREATED\s+EXPIRES\s+LAST USED/)
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+ci\\s+\\S+\\s+\\S+\\s+\\d{4}-`))
    expect(list.stdout).toMatch(/bootstrap\s+\S+\s+never/)
    expect((await cli('token', 'revoke', id)).code).toBe(0)
    oneLine(await runCli(['status', '--url', server.url, '--token', token]), 1, new RegExp(`^airlock: admin token ${id} was revoked at `))
    expect((await cli('token', 'revoke', id)).stdout).toMatch(/was already revoked/)

    const audit = JSON.parse((await cli('audit', '--since', '1h', '--json')).stdout) as Array<{
      action: string
      tokenId: string
      tokenName: string
      packageName?: string
      channels: string[]
    }>
    expect(audit.find((e) => e.tokenId === id)).toMatchObject({
      action: 'release',
      tokenName: 'ci',
      packageName: 'pg',
      channels: ['latest/candidate ubuntu@22.04/amd64', 'latest/candidate ubuntu@22.04/arm64'],
    })
    expect(audit.map((e) => e.action)).toEqual(
      expect.arrayContaining(['push', 'release', 'close', 'remove', 'token-create', 'token-revoke']),
    )
    const human = await cli('audit')
    expect(human.stdout).toMatch(/\(bootstrap\) {2}release {2}charm pg {2}revision 2 {2}channels latest\/edge ubuntu@22\.04\/amd64/)
  })

  it('status shows version, database, counts, free space, roots, registry and uptime', async () => {
    const r = await cli('status')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(new RegExp(`database: +${dialect}, healthy`))
    expect(r.stdout).toMatch(/packages: +1 charms, 0 bundles, 2 snaps; 3 revisions/)
    expect(r.stdout).toMatch(/blob store: +[\d.]+ \w+ free of/)
    expect(r.stdout).toMatch(/trusted roots: +canonical.*testrootorg/)
    expect(r.stdout).toMatch(/OCI registry: +not configured/)
    const json = JSON.parse((await cli('status', '--json')).stdout)
    expect(json).toMatchObject({ database: { kind: dialect, ok: true }, counts: { revisions: 3 } })
  })

  // Declared for PostgreSQL alone: the embedded database cannot stop answering on its own.
  if (dialect === 'pg')
    it('a database that stops answering: status says so, changes are refused with one line, and all is well once it is back', async () => {
      const url = new URL(pgdb!.url)
      const name = url.pathname.slice(1)
      url.pathname = '/postgres'
      const admin = new pg.Client({ connectionString: url.toString() })
      await admin.connect()
      const cut = async (allow: boolean) => {
        await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS ${allow}`)
        if (!allow) await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name])
      }
      try {
        await cut(false)
        const status = await cli('status')
        expect(status.code).toBe(1)
        expect(status.stdout).toMatch(/database: +pg, NOT ANSWERING/)
        // Refused before the token's record is read: the database answers nothing, so nothing changed.
        oneLine(
          await cli('release', 'pg', '1', 'beta', '--type', 'charm'),
          1,
          /^airlock: the catalog database is not answering; nothing was changed, try again in a few seconds$/,
        )
      } finally {
        await cut(true)
        await admin.end()
      }
      expect((await cli('status')).stdout).toMatch(/database: +pg, healthy/)
      const list = JSON.parse((await cli('list', 'charms', 'pg', '--json')).stdout)
      expect(list.revisions[0].channels.map((c: { channel: string }) => c.channel)).not.toContain('latest/beta')
    })
})
