// Start-up failures through the real bin/airlock.js: one owner per embedded data dir (a second serve
// or migrate refused at once; a lock left by kill -9 does not block), and each cause a server cannot
// start for said in one line, exit 1, no stack trace.
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, ensureBuilt, startServer, type RunningServer } from '../support/server-process.js'

const tmp = mkdtempSync(join(tmpdir(), 'airlock-startup-'))
const PG = process.env.AIRLOCK_TEST_PG_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AIRLOCK_') && k !== 'DATABASE_URL'))
  return { ...env, ...extra }
}

function airlock(
  args: string[],
  env: Record<string, string> = {},
  timeout = 30_000,
): { status: number | null; stdout: string; stderr: string; ms: number } {
  const t0 = Date.now()
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: tmp, env: cleanEnv(env), encoding: 'utf8', timeout })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 }
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '')

/** One line on stderr, exit 1, nothing that looks like a stack frame. */
function expectOneLine(r: { status: number | null; stderr: string }, pattern: RegExp): void {
  expect(r.status, r.stderr).toBe(1)
  expect(lines(r.stderr), r.stderr).toHaveLength(1)
  expect(r.stderr).toMatch(pattern)
  expect(r.stderr).not.toMatch(/\n\s+at /)
}

beforeAll(() => ensureBuilt())
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('one owner per embedded data dir', () => {
  let first: RunningServer
  const dataDir = join(tmp, 'owned')

  beforeAll(async () => {
    // The embedded database's first initialisation can take longer than startServer waits on a busy machine.
    expect(airlock(['migrate', '--data-dir', dataDir], {}, 120_000).status).toBe(0)
    first = await startServer({ dataDir })
  }, 180_000)
  afterAll(() => {
    if (first?.proc.exitCode === null && first.proc.signalCode === null) first.proc.kill('SIGKILL')
  })

  it('a second serve exits 1 at once naming the data dir and the holder', () => {
    const r = airlock(['serve', '--port', '0', '--data-dir', dataDir])
    expectOneLine(r, new RegExp(`the data dir ${dataDir} is in use by process ${first.proc.pid} \\(.*serve.*, started \\d{4}-`))
    expect(r.ms).toBeLessThan(10_000)
  })

  it('so does migrate', () => {
    expectOneLine(airlock(['migrate', '--data-dir', dataDir]), new RegExp(`in use by process ${first.proc.pid}`))
  })

  it('a lock left by kill -9 does not block the next start', async () => {
    expect(readFileSync(join(dataDir, 'airlock.lock'), 'utf8')).toContain(`"pid":${first.proc.pid}`)
    expect(await first.stop('SIGKILL')).toBe(null)
    const r = airlock(['migrate', '--data-dir', dataDir])
    expect(r.status, r.stderr).toBe(0)
    const next = await startServer({ dataDir })
    try {
      expect(readFileSync(join(dataDir, 'airlock.lock'), 'utf8')).toContain(`"pid":${next.proc.pid}`)
      expect(await next.stop()).toBe(0)
      expect(() => readFileSync(join(dataDir, 'airlock.lock')), 'a clean stop removes the lock').toThrow()
    } finally {
      await next.stop('SIGKILL')
    }
  }, 60_000)

  it('a lock naming a pid now used by another process (start time differs) is stale', () => {
    const d = join(tmp, 'reused')
    airlock(['migrate', '--data-dir', d])
    // Our own test runner's pid, with a start time it never had.
    writeFileSync(join(d, 'airlock.lock'), JSON.stringify({ pid: process.pid, startTicks: '1', command: 'gone', startedAt: 'then' }))
    const r = airlock(['migrate', '--data-dir', d])
    expect(r.status, r.stderr).toBe(0)
  }, 60_000)
})

describe('start-up failures say one line', () => {
  let squatter: Server
  let busyPort = 0
  // Initialised once: the cases met after the database opens need not each wait for an initdb.
  const ready = join(tmp, 'ready')
  beforeAll(async () => {
    expect(airlock(['migrate', '--data-dir', ready], {}, 120_000).status).toBe(0)
    squatter = createServer()
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r))
    busyPort = (squatter.address() as { port: number }).port
  }, 180_000)
  afterAll(() => {
    squatter.close()
  })

  it('port in use', () => {
    expectOneLine(
      airlock(['serve', '--port', String(busyPort), '--data-dir', ready], {}, 60_000),
      new RegExp(`cannot listen on 127\\.0\\.0\\.1:${busyPort}: the port is in use`),
    )
  }, 60_000)

  it('the port is free again afterwards and the lock released', () => {
    expect(() => readFileSync(join(ready, 'airlock.lock'))).toThrow()
  })

  it.each([
    ['a missing parent', () => join(tmp, 'no', 'such', 'dir'), /cannot use the data dir .*: its parent directory does not exist/],
    [
      'a regular file',
      () => {
        const f = join(tmp, 'a-file')
        writeFileSync(f, '')
        return f
      },
      /cannot use the data dir .*a-file: it is not a directory/,
    ],
    [
      'a file on its path',
      () => join(tmp, 'a-file', 'x'),
      /cannot use the data dir .*: it \(or a directory on its path\) is not a directory/,
    ],
    ['under /proc', () => '/proc/airlock', /cannot use the data dir \/proc\/airlock: /],
    ['/proc itself', () => '/proc', /cannot use the data dir \/proc: cannot write in it/],
    ['under /sys', () => '/sys/kernel', /cannot use the data dir \/sys\/kernel: cannot write in it/],
  ])('data dir: %s', (_what, dir, pattern) => {
    const r = airlock(['serve', '--port', '0', '--data-dir', dir()], {}, 15_000)
    expectOneLine(r, pattern)
  })

  it('data dir: not writable (as a user without rights)', () => {
    if (process.getuid?.() === 0) {
      // root writes anywhere: run it without capabilities (util-linux setpriv), so a read-only
      // directory refuses it as it would a plain user. Not as `nobody`: the checkout may sit in a
      // directory only root can enter (a mktemp -d clone).
      const d = join(tmp, 'ro')
      airlock(['migrate', '--data-dir', d])
      chmodSync(d, 0o555)
      const r = spawnSync(
        'setpriv',
        ['--inh-caps=-all', '--bounding-set=-all', process.execPath, BIN, 'serve', '--port', '0', '--data-dir', d],
        { env: cleanEnv(), encoding: 'utf8', timeout: 15_000 },
      )
      expectOneLine(r, /cannot use the data dir .*ro: cannot write in it \(permission denied\)/)
    } else {
      const d = join(tmp, 'ro')
      airlock(['migrate', '--data-dir', d])
      chmodSync(d, 0o555)
      expectOneLine(airlock(['serve', '--port', '0', '--data-dir', d]), /cannot write in it \(permission denied\)/)
    }
  }, 60_000)

  it('database unreachable', () => {
    expectOneLine(
      airlock(['serve', '--port', '0', '--data-dir', join(tmp, 'pg1'), '--database-url', 'postgres://postgres:secret@127.0.0.1:1/airlock']),
      /cannot open PostgreSQL at 127\.0\.0\.1:1: connection refused/,
    )
  })

  it('the named database missing', () => {
    const u = new URL(PG)
    u.pathname = '/airlock_no_such_database'
    const r = airlock(['migrate', '--data-dir', join(tmp, 'pg2'), '--database-url', u.toString()])
    if (/connection refused/.test(r.stderr)) return // no PostgreSQL here: the case above covers the message
    expectOneLine(r, /cannot open PostgreSQL at .*: the database "airlock_no_such_database" does not exist/)
    expect(r.stderr).not.toContain(u.password || 'never-a-password')
  })

  it('trusted assertions: unreadable file', () => {
    expectOneLine(
      airlock(['serve', '--port', '0', '--data-dir', ready, '--trusted-assertions', join(tmp, 'missing.assert')], {}, 60_000),
      /invalid trusted-assertions: .*missing\.assert: cannot read it \(no such file\)/,
    )
  }, 60_000)

  it('trusted assertions: not assertions', () => {
    const f = join(tmp, 'junk.assert')
    writeFileSync(f, 'type: account\nthis is not an assertion\n')
    expectOneLine(
      airlock(['serve', '--port', '0', '--data-dir', ready, '--trusted-assertions', f], {}, 60_000),
      /invalid trusted-assertions: .*junk\.assert/,
    )
  }, 60_000)
})

describe('the CLI: a closed stdout is not an error', () => {
  it('`airlock --help | head -1` exits 0 quietly', async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const p = spawn(process.execPath, [BIN, 'serve', '--help'], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
      let stderr = ''
      p.stderr.on('data', (d) => {
        stderr += d
      })
      p.stdout.once('data', () => p.stdout.destroy())
      p.on('exit', (code) => resolve({ code, stderr }))
    })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
  })
})
