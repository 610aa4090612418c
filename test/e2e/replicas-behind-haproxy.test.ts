// Two real server processes on one PostgreSQL behind a real HAProxy running deploy/compose/haproxy.cfg
// (its backend addresses and listen port swapped for local ones): answers through the balancer carry
// download URLs naming the balancer, a kill -9 of one replica loses no request, and pushes through the
// balancer keep working. HAProxy connects from 127.0.0.2, the only trusted proxy: the same headers
// sent straight to a replica from 127.0.0.1 change nothing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCharmExport, writeFixture } from '../support/charm-builder.js'
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/postgres.js'
import { removeDir, ROOT, runCli, startServer, type RunningServer } from '../support/server-process.js'

const pgState = await postgresAvailable()
const haproxy = spawnSync('haproxy', ['-v']).status === 0
if (!pgState.ok) console.warn(`skipping replicas behind haproxy: ${pgState.reason}`)
if (!haproxy) console.warn('skipping replicas behind haproxy: no haproxy (scripts/install-test-deps.sh installs it)')

async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as { port: number }).port
  await new Promise((r) => s.close(r))
  return port
}

const portOf = (s: RunningServer) => Number(new URL(s.url).port)

describe.skipIf(!pgState.ok || !haproxy)('replicas behind HAProxy', () => {
  let a: RunningServer
  let b: RunningServer
  let lb: ChildProcess
  const lbLogs: string[] = []
  let lbUrl: string
  let pgdb: TestDatabase
  let dir: string
  const charm = (rev: number) => buildCharmExport({ charms: [{ name: 'redis', revision: rev, metadataJson: false }] })
  const info = () => `${lbUrl}/v2/charms/info/redis?fields=default-release.revision.revision,default-release.revision.download.url`

  beforeAll(async () => {
    pgdb = await createTestDatabase()
    dir = await mkdtemp(join(tmpdir(), 'airlock-haproxy-'))
    const env = { AIRLOCK_TRUSTED_PROXIES: '127.0.0.2' }
    a = await startServer({ databaseUrl: pgdb.url, env })
    b = await startServer({ databaseUrl: pgdb.url, dataDir: a.dataDir, env })
    const port = await freePort()
    lbUrl = `http://127.0.0.1:${port}`
    const cfg = (await readFile(join(ROOT, 'deploy/compose/haproxy.cfg'), 'utf8'))
      .replace('bind :8080', `bind 127.0.0.1:${port}`)
      .replace('airlock-a:8080', `127.0.0.1:${portOf(a)}`)
      .replace('airlock-b:8080', `127.0.0.1:${portOf(b)}`)
      .replace(/^(\s*default-server .*)$/m, '$1 source 127.0.0.2')
    expect(cfg).toContain(`127.0.0.1:${portOf(b)}`)
    await writeFile(join(dir, 'haproxy.cfg'), cfg)
    lb = spawn('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'pipe', 'pipe'] })
    lb.stdout!.on('data', (d: Buffer) => lbLogs.push(d.toString()))
    lb.stderr!.on('data', (d: Buffer) => lbLogs.push(d.toString()))
    for (let i = 0; ; i++) {
      if ((await fetch(`${lbUrl}/_status/check`).catch(() => undefined))?.status === 200) break
      if (i > 150) throw new Error(`haproxy did not answer:\n${lbLogs.join('')}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  })
  afterAll(async () => {
    lb?.kill('SIGKILL')
    // A was killed: its exit has been seen already, and stop() would wait for another.
    await Promise.all([a, b].filter((s) => s && s.proc.signalCode === null).map((s) => s.stop()))
    await pgdb?.drop()
    if (a) await removeDir(a.dataDir)
    if (dir) await removeDir(dir)
  })

  it('answers through the balancer with URLs naming the balancer, and ignores the headers from an untrusted peer', async () => {
    const push = await runCli([
      'push-charms',
      await writeFixture(dir, 'r1.tar.gz', await charm(1)),
      '--url',
      lbUrl,
      '--data-dir',
      a.dataDir,
    ])
    expect(push.code, push.stderr).toBe(0)
    const body = (await (await fetch(info())).json()) as any
    const url: string = body['default-release'].revision.download.url
    expect(url.startsWith(`${lbUrl}/api/v1/charms/download/`), url).toBe(true)
    // Both replicas answer the balancer's requests with its address (round robin).
    for (let i = 0; i < 4; i++) expect(((await (await fetch(info())).json()) as any)['default-release'].revision.download.url).toBe(url)
    const download = await fetch(url)
    expect(download.status).toBe(200)
    expect(
      createHash('sha256')
        .update(Buffer.from(await download.arrayBuffer()))
        .digest('hex'),
    ).toMatch(/^[0-9a-f]{64}$/)

    const direct = await fetch(info().replace(lbUrl, a.url), {
      headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
    })
    expect(((await direct.json()) as any)['default-release'].revision.download.url.startsWith(`${a.url}/`)).toBe(true)
  })

  it('loses no request when a replica is killed with SIGKILL, and takes pushes through the one left', async () => {
    let ok = 0
    const failures: string[] = []
    let running = true
    // Four clients in a loop for the whole test: one connection each, as Juju controllers hold.
    const clients = Array.from({ length: 4 }, async () => {
      while (running) {
        try {
          const res = await fetch(info())
          await res.arrayBuffer()
          if (res.status === 200) ok++
          else failures.push(`status ${res.status}`)
        } catch (err) {
          failures.push(String((err as Error).cause ?? err))
        }
      }
    })
    await new Promise((r) => setTimeout(r, 500))
    const before = ok
    a.proc.kill('SIGKILL')
    await new Promise((r) => setTimeout(r, 5000))
    const push = await runCli([
      'push-charms',
      await writeFixture(dir, 'r2.tar.gz', await charm(2)),
      '--push-channel-map',
      '--url',
      lbUrl,
      '--data-dir',
      b.dataDir,
    ])
    expect(push.code, push.stderr).toBe(0)
    expect(((await (await fetch(info())).json()) as any)['default-release'].revision.revision).toBe(2)
    running = false
    await Promise.all(clients)
    console.log(`through HAProxy: ${ok} answers (${before} before the kill), ${failures.length} failures`)
    expect(failures, lbLogs.join('')).toEqual([])
    expect(ok - before).toBeGreaterThan(20)
    // The health check took A out of the backend.
    expect(lbLogs.join('')).toMatch(/airlock-a is DOWN/)
  })
})
