// What the real `airlock` CLI says when the server is not there, not Airlock, or refuses the token:
// one sentence each, exit 1 (2 for usage), never a runtime error code or a stack trace.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, ensureBuilt, startServer, type RunningServer } from '../support/server-process.js'
import { unreachable } from '../../src/cli/admin-client.js'

const tmp = mkdtempSync(join(tmpdir(), 'airlock-cli-messages-'))

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AIRLOCK_') && k !== 'DATABASE_URL'))
  return { ...env, ...extra }
}

/** Asynchronous: the stand-in servers below live in this process and must answer meanwhile. */
function airlock(
  args: string[],
  env: Record<string, string> = {},
  timeout = 30_000,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: tmp, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => p.kill('SIGKILL'), timeout)
    p.stdout.on('data', (d) => {
      stdout += d
    })
    p.stderr.on('data', (d) => {
      stderr += d
    })
    p.on('exit', (status) => {
      clearTimeout(timer)
      resolve({ status, stdout, stderr })
    })
  })
}

const RAW_CODES = /E[A-Z]{4,}|ERR_|UND_ERR|\n\s+at /

function expectSentence(r: { status: number | null; stderr: string; stdout?: string }, status: number, pattern: RegExp): void {
  expect(r.status, JSON.stringify(r)).toBe(status)
  expect(r.stderr.split('\n').filter(Boolean), r.stderr).toHaveLength(1)
  expect(r.stderr).toMatch(pattern)
  expect(r.stderr).not.toMatch(RAW_CODES)
}

const listen = async <T extends Server | HttpServer>(s: T): Promise<number> => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  return (s.address() as AddressInfo).port
}

let freePort = 0
let closer: Server
let closerPort = 0
let html: HttpServer
let htmlPort = 0
let lister: HttpServer
let listerPort = 0

beforeAll(async () => {
  ensureBuilt()
  const probe = createTcpServer()
  freePort = await listen(probe)
  await new Promise((r) => probe.close(r))
  // Something on the port that is not HTTP: accepts, then hangs up.
  closer = createTcpServer((sock) => sock.destroy())
  closerPort = await listen(closer)
  // Another web server: HTML for everything, 404 under /admin/v1/nothing.
  html = createHttpServer((req, res) => {
    res.writeHead(req.url?.includes('nothing') ? 404 : 200, { 'content-type': 'text/html' })
    res.end('<html><body>hello</body></html>')
  })
  htmlPort = await listen(html)
  // A stand-in admin API with a long listing (a closed pipe) and a malformed one (an unexpected error).
  const many = {
    packages: Array.from({ length: 5000 }, (_, i) => ({
      name: `charm-${i}`,
      type: 'charm',
      id: `id${i}`,
      publisher: null,
      revisions: [],
      channels: [],
    })),
  }
  lister = createHttpServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(req.url?.startsWith('/admin/v1/images') ? '{}' : JSON.stringify(many))
  })
  listerPort = await listen(lister)
})
afterAll(() => {
  closer.close()
  html.close()
  lister.close()
  rmSync(tmp, { recursive: true, force: true })
})

describe('airlock admin commands: where the server is not right', () => {
  it('connection refused asks whether airlock serve runs there', async () => {
    expectSentence(
      await airlock(['list', 'charms', '--url', `http://127.0.0.1:${freePort}`, '--token', 't']),
      1,
      new RegExp(`^airlock: cannot reach http://127\\.0\\.0\\.1:${freePort}: is \`airlock serve\` running there\\?$`, 'm'),
    )
  })

  it('a malformed --url is a usage error', async () => {
    expectSentence(
      await airlock(['list', 'charms', '--url', 'localhost:8080x', '--token', 't']),
      2,
      /invalid --url "localhost:8080x": expected the server's address/,
    )
    expectSentence(await airlock(['list', 'charms', '--url', 'http//nowhere', '--token', 't']), 2, /invalid --url/)
  })

  it('a port where something hangs up without HTTP', async () => {
    expectSentence(
      await airlock(['list', 'charms', '--url', `http://127.0.0.1:${closerPort}`, '--token', 't']),
      1,
      /is that the Airlock server's port\?/,
    )
  })

  it('a web server that is not Airlock (HTML, or 404 for the admin API)', async () => {
    expectSentence(
      await airlock(['list', 'charms', '--url', `http://127.0.0.1:${htmlPort}`, '--token', 't']),
      1,
      /is not an Airlock server.*HTTP 200 with text\/html/,
    )
    expectSentence(
      await airlock(['list', 'charms', '--url', `http://127.0.0.1:${htmlPort}/nothing`, '--token', 't']),
      1,
      /is not an Airlock server.*HTTP 404/,
    )
  })

  it('a host name that does not resolve is named (the message, without a lookup)', async () => {
    const e = unreachable('http://store.example:8080', Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } }))
    expect(e.message).toBe('cannot reach http://store.example:8080: the host name "store.example" does not resolve')
  })

  it('--token "" is a usage error, not a fallback to the token file', async () => {
    writeFileSync(join(tmp, 'admin.token'), 'from-the-file\n')
    expectSentence(
      await airlock(['list', 'charms', '--url', `http://127.0.0.1:${freePort}`, '--token', '', '--data-dir', tmp]),
      2,
      /--token is empty/,
    )
  })

  it('a missing file is a usage error, checked before anything is sent', async () => {
    writeFileSync(join(tmp, 'real.tar.gz'), 'x')
    expectSentence(
      await airlock([
        'push-charms',
        join(tmp, 'real.tar.gz'),
        join(tmp, 'typo.tar.gz'),
        '--url',
        `http://127.0.0.1:${freePort}`,
        '--token',
        't',
      ]),
      2,
      /typo\.tar\.gz: no such file$/m,
    )
  })

  it('`airlock list charms | head -1`: a closed stdout exits 0 quietly', async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const p = spawn(process.execPath, [BIN, 'list', 'charms', '--url', `http://127.0.0.1:${listerPort}`, '--token', 't'], {
        env: cleanEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      })
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

  it('an unexpected error is one line; AIRLOCK_DEBUG=1 shows where', async () => {
    const args = ['list-images', '--url', `http://127.0.0.1:${listerPort}`, '--token', 't']
    const r = await airlock(args)
    expect(r.status).toBe(1)
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1)
    expect(r.stderr).toMatch(/^airlock: unexpected error: .*\(AIRLOCK_DEBUG=1 shows where\)$/m)
    expect((await airlock(args, { AIRLOCK_DEBUG: '1' })).stderr).toMatch(/\n\s+at /)
  })

  it('serve --log-level takes the level, and names the flag when it is wrong', async () => {
    expect((await airlock(['serve', '--help'])).stdout).toMatch(/--log-level <level>[\s\S]*AIRLOCK_LOG_LEVEL/)
    expectSentence(
      await airlock(['serve', '--log-level', 'loud', '--data-dir', join(tmp, 'never')]),
      2,
      /invalid log-level \(from flag --log-level\): "loud"/,
    )
  })
})

describe('with a real server', () => {
  let server: RunningServer
  beforeAll(async () => {
    const dataDir = join(tmp, 'served')
    expect((await airlock(['migrate', '--data-dir', dataDir], {}, 120_000)).status).toBe(0)
    server = await startServer({ dataDir, args: ['--log-level', 'info'] })
  }, 120_000)
  afterAll(async () => {
    await server?.stop()
  })

  it('an expired token is told apart from an invalid one', async () => {
    const minted = await airlock(['token', 'create', '--ttl', '1s', '--url', server.url, '--data-dir', server.dataDir])
    expect(minted.status).toBe(0)
    await new Promise((r) => setTimeout(r, 2100))
    expectSentence(
      await airlock(['list', 'charms', '--url', server.url, '--token', minted.stdout.trim()]),
      1,
      /admin token [0-9a-f]+ expired at \d{4}-.*airlock token create/,
    )
    expectSentence(await airlock(['list', 'charms', '--url', server.url, '--token', 'not-a-token']), 1, /a valid admin token is required/)
  }, 30_000)

  it('serve --log-level info is taken (the listening line is logged)', async () => {
    await fetch(`${server.url}/_status/check`)
    expect(server.logs.some((l) => l.includes('"msg":"airlock listening"'))).toBe(true)
  })
})
