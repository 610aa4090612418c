// A PostgreSQL outage under a real server: a private PostgreSQL instance (the shared one must not be
// stopped) is stopped with `pg_ctl stop -m immediate` while Juju- and snapd-shaped reads run in a
// loop. Reads keep answering 200 from memory; health says 503 + Retry-After; an admin push is refused
// with 503 (the CLI: one line, exit 1) and changes nothing; once PostgreSQL is back the same server
// process reports healthy, catches up on a change written meanwhile, and accepts pushes.
import { execFileSync, spawnSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCharmExport, writeFixture } from '../support/charm-builder.js'
import { removeDir, runCli, startServer, type RunningServer } from '../support/server-process.js'
import { signedSnap, snapIdOf, TEST_ROOT_FILES } from '../support/snap-builder.js'
import { installByChannel, JUJU_HEADERS } from '../support/juju-requests.js'

const PG_BIN = (() => {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : []
  return versions[0] ? join(root, versions[0], 'bin') : undefined
})()
if (!PG_BIN)
  console.warn(
    'skipping the PostgreSQL outage test: no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (Debian package postgresql)',
  )

const asRoot = process.getuid?.() === 0
/** Runs a PostgreSQL server binary; as root through runuser, since initdb and postgres refuse root. */
function pgTool(tool: string, args: string[]): string {
  const cmd = asRoot ? 'runuser' : join(PG_BIN!, tool)
  const argv = asRoot ? ['-u', 'postgres', '--', join(PG_BIN!, tool), ...args] : args
  return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0))
    })
  })
}

const SNAP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json',
  'snap-device-architecture': 'amd64',
  'snap-device-series': '16',
}

describe.skipIf(!PG_BIN)('PostgreSQL outage', () => {
  let pgDir: string
  let port: number
  let url: string
  let server: RunningServer
  let fixtures: string
  const admin = () => ['--url', server.url, '--data-dir', server.dataDir]
  const startPg = () =>
    pgTool('pg_ctl', [
      '-D',
      join(pgDir, 'data'),
      '-o',
      `-p ${port} -k ${pgDir} -c listen_addresses=127.0.0.1`,
      '-l',
      join(pgDir, 'log'),
      '-w',
      'start',
    ])
  const stopPg = () => pgTool('pg_ctl', ['-D', join(pgDir, 'data'), '-m', 'immediate', '-w', 'stop'])

  beforeAll(async () => {
    pgDir = mkdtempSync(join(tmpdir(), 'airlock-outage-pg-'))
    if (asRoot)
      chownSync(
        pgDir,
        Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
        Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
      )
    pgTool('initdb', ['-D', join(pgDir, 'data'), '-U', 'postgres', '-A', 'trust', '--no-sync'])
    port = await freePort()
    startPg()
    url = `postgres://postgres@127.0.0.1:${port}/postgres`
    server = await startServer({ databaseUrl: url, args: ['--trusted-assertions', TEST_ROOT_FILES.join(',')] })
    fixtures = mkdtempSync(join(tmpdir(), 'airlock-outage-'))
  }, 120_000)
  afterAll(async () => {
    await server?.stop()
    if (pgDir)
      spawnSync(asRoot ? 'runuser' : join(PG_BIN!, 'pg_ctl'), [
        ...(asRoot ? ['-u', 'postgres', '--', join(PG_BIN!, 'pg_ctl')] : []),
        '-D',
        join(pgDir, 'data'),
        '-m',
        'immediate',
        'stop',
      ])
    if (pgDir) await removeDir(pgDir)
    if (server) await removeDir(server.dataDir)
    if (fixtures) await removeDir(fixtures)
  })

  it('serves reads from memory while PostgreSQL is down, refuses writes with 503, and recovers without a restart', async () => {
    const charm = (rev: number) =>
      buildCharmExport({ charms: [{ name: 'redis', revision: rev, bases: ['ubuntu@22.04/amd64'], metadataJson: false }] })
    expect((await runCli(['push-charms', await writeFixture(fixtures, 'r1.tar.gz', await charm(1)), ...admin()])).code).toBe(0)
    const hello = signedSnap({ name: 'hello', version: '2.10', revision: 42 })
    const snapPush = await runCli([
      'push-snap',
      await writeFixture(fixtures, 'hello_42.snap', hello.snap),
      await writeFixture(fixtures, 'hello_42.assert', hello.assert),
      ...admin(),
    ])
    expect(snapPush.code, snapPush.stderr).toBe(0)

    const base = { name: 'ubuntu', channel: '22.04', architecture: 'amd64' }
    const charmRefresh = () =>
      fetch(`${server.url}/v2/charms/refresh`, {
        method: 'POST',
        headers: JUJU_HEADERS('3.6'),
        body: JSON.stringify(installByChannel('3.6', 'redis', 'stable', base)),
      })
    const snapRefresh = () =>
      fetch(`${server.url}/v2/snaps/refresh`, {
        method: 'POST',
        headers: SNAP_HEADERS,
        body: JSON.stringify({
          context: [],
          fields: ['download', 'revision', 'snap-yaml', 'name'],
          actions: [{ action: 'install', 'instance-key': 'k', name: 'hello', channel: 'stable', epoch: null }],
        }),
      })
    const charmDl = ((await (await charmRefresh()).json()) as any).results[0].charm.download.url as string
    const snapDl = ((await (await snapRefresh()).json()) as any).results[0].snap.download.url as string
    const reads: Array<[string, () => Promise<Response>]> = [
      ['charm refresh', charmRefresh],
      ['charm info', () => fetch(`${server.url}/v2/charms/info/redis`)],
      ['charm find', () => fetch(`${server.url}/v2/charms/find?q=redis`)],
      ['charm download', () => fetch(charmDl)],
      ['snap refresh', snapRefresh],
      ['snap info', () => fetch(`${server.url}/v2/snaps/info/hello`, { headers: SNAP_HEADERS })],
      ['snap find', () => fetch(`${server.url}/v2/snaps/find?q=hello`, { headers: SNAP_HEADERS })],
      ['snap download', () => fetch(snapDl)],
      [
        'snap declaration',
        () =>
          fetch(`${server.url}/v2/assertions/snap-declaration/16/${snapIdOf('hello')}`, {
            headers: { accept: 'application/x.ubuntu.assertion' },
          }),
      ],
    ]
    for (const [what, read] of reads) expect((await read()).status, what).toBe(200) // warm, as a serving replica is

    // Reads under load for the whole outage: a bounded loop, every answer recorded.
    const failures: string[] = []
    let answered = 0
    let loading = true
    const worker = async () => {
      for (let i = 0; loading && i < 100_000; i++) {
        const [what, read] = reads[i % reads.length]!
        const res = await read().catch((err: Error) => ({ status: 0, text: async () => err.message }))
        if (res.status !== 200) failures.push(`${what}: ${res.status} ${(await res.text()).slice(0, 200)}`)
        else {
          answered++
          await (res as Response).arrayBuffer?.()
        }
      }
    }
    const load = Promise.all([worker(), worker(), worker()])
    try {
      stopPg()
      const down = await fetch(`${server.url}/_status/check`)
      expect(down.status).toBe(503)
      expect(Number(down.headers.get('retry-after'))).toBeGreaterThan(0)

      const listed = await runCli(['list', 'charms', '--json', ...admin()])
      expect(listed.code).toBe(1) // the list reads the database: refused at once, not hung
      expect(listed.stderr).toMatch(/database is not answering/)
      const blobsBefore = readdirSync(join(server.dataDir, 'blobs'), { recursive: true }).sort()
      const refused = await runCli(['push-charms', await writeFixture(fixtures, 'r2.tar.gz', await charm(2)), ...admin()])
      expect(refused.code).toBe(1)
      expect(refused.stderr.trim().split('\n'), refused.stderr).toHaveLength(1)
      expect(refused.stderr).toMatch(/database is not answering/)
      expect(refused.stderr).not.toMatch(/\n\s+at /)
      expect(readdirSync(join(server.dataDir, 'blobs'), { recursive: true }).sort()).toEqual(blobsBefore)
      const direct = await fetch(`${server.url}/admin/v1/charms`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await tokenOf(server)}` },
      })
      expect(direct.status).toBe(503)
      expect(direct.headers.get('retry-after')).toBeTruthy()

      await new Promise((r) => setTimeout(r, 4000)) // a poll or two fails meanwhile
      startPg()
    } finally {
      loading = false
      await load
    }
    expect(failures).toEqual([])
    expect(answered).toBeGreaterThan(50)
    console.log(`${answered} reads answered 200 across the outage, none failed`)

    // Back: healthy again without a restart, and caught up on a change written behind its back.
    await expect.poll(async () => (await fetch(`${server.url}/_status/check`)).status, { timeout: 20_000, interval: 200 }).toBe(200)
    const c = new pg.Client({ connectionString: url })
    await c.connect()
    await c.query(`UPDATE packages SET summary = 'written after the outage' WHERE name = 'redis'`)
    await c.end()
    await expect
      .poll(async () => ((await (await fetch(`${server.url}/v2/charms/info/redis?fields=result.summary`)).json()) as any).result?.summary, {
        timeout: 5000,
        interval: 50,
      })
      .toBe('written after the outage')
    const pushed = await runCli([
      'push-charms',
      await writeFixture(fixtures, 'r3.tar.gz', await charm(3)),
      '--push-channel-map',
      ...admin(),
    ])
    expect(pushed.code, pushed.stderr).toBe(0)
    expect(
      ((await (await fetch(`${server.url}/v2/charms/info/redis?fields=default-release.revision.revision`)).json()) as any)[
        'default-release'
      ].revision.revision,
    ).toBe(3)
    expect(server.proc.exitCode).toBeNull()
    const msgs = () =>
      server.logs.map((l) => {
        try {
          return (JSON.parse(l) as { msg?: string }).msg
        } catch {
          return l
        }
      })
    expect(msgs()).toContain('catalog database not answering: serving the catalog from memory until it is back')
    await expect.poll(msgs, { timeout: 10_000 }).toContain('catalog database answering again: caught up')
  }, 120_000)
})

async function tokenOf(s: RunningServer): Promise<string> {
  const { readFile } = await import('node:fs/promises')
  return (await readFile(join(s.dataDir, 'admin.token'), 'utf8')).trim()
}
