// Bounded work per request, against the real server process over real sockets: refresh requests
// over the action cap answered in each store's own error shape, JSON bodies over the limit refused,
// and slow clients (headers or a body trickled byte by byte) cut off, while an upload to the admin
// API may take longer than any of those deadlines.
import { connect, type Socket } from 'node:net'
import { readFileSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, runCli, startServer, type RunningServer } from '../support/server-process.js'
import { MAX_LIST_ENTRIES, MAX_REFRESH_ACTIONS } from '../../src/http/limits.js'
import { BODY_TIMEOUT_MS, HEADERS_TIMEOUT_MS } from '../../src/http/timeouts.js'

let server: RunningServer
let port = 0
beforeAll(async () => {
  // The embedded database's first initialisation can outlast startServer's wait on a busy machine.
  const dataDir = await mkdtemp(join(tmpdir(), 'airlock-bounds-'))
  expect((await runCli(['migrate', '--data-dir', dataDir], { DATABASE_URL: '' })).code).toBe(0)
  server = await startServer({ dataDir })
  port = Number(new URL(server.url).port)
}, 120_000)
afterAll(async () => {
  await server?.stop()
  if (server) await removeDir(server.dataDir)
})

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })

const install = (i: number) => ({
  action: 'install',
  'instance-key': `k${i}`,
  name: `no-such-${i}`,
  channel: 'stable',
  base: { architecture: 'amd64', name: 'ubuntu', channel: '22.04' },
})
const snapInstall = (i: number) => ({ action: 'install', 'instance-key': `k${i}`, name: `no-such-${i}`, channel: 'stable' })

describe('refresh requests: a cap on actions', () => {
  it(`Charmhub: ${MAX_REFRESH_ACTIONS} actions are served, one more is a 400 error-list naming the cap`, async () => {
    const ok = await post('/v2/charms/refresh', { context: [], actions: Array.from({ length: MAX_REFRESH_ACTIONS }, (_, i) => install(i)) })
    expect(ok.status).toBe(200)
    expect(((await ok.json()) as { results: unknown[] }).results).toHaveLength(MAX_REFRESH_ACTIONS)
    const res = await post('/v2/charms/refresh', {
      context: [],
      actions: Array.from({ length: MAX_REFRESH_ACTIONS + 1 }, (_, i) => install(i)),
    })
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toBe('application/json')
    const body = (await res.json()) as { 'error-list': Array<{ code: string; message: string }> }
    expect(body['error-list'][0]!.code).toBe('invalid-request')
    expect(body['error-list'][0]!.message).toMatch(
      new RegExp(`^actions: ${MAX_REFRESH_ACTIONS + 1} entries, more than the ${MAX_REFRESH_ACTIONS}`),
    )
  }, 60_000)

  it('Charmhub: a fields list over its cap is refused', async () => {
    const res = await post('/v2/charms/refresh', {
      context: [],
      actions: [install(0)],
      fields: Array.from({ length: MAX_LIST_ENTRIES + 1 }, () => 'name'),
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { 'error-list': Array<{ message: string }> })['error-list'][0]!.message).toMatch(/^fields: /)
  })

  it('snapd: one action over the cap is a 400 error-list, exact application/json', async () => {
    const res = await post(
      '/v2/snaps/refresh',
      { context: [], actions: Array.from({ length: MAX_REFRESH_ACTIONS + 1 }, (_, i) => snapInstall(i)) },
      { 'snap-device-architecture': 'amd64' },
    )
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toBe('application/json')
    const body = (await res.json()) as { 'error-list': Array<{ code: string; message: string }> }
    expect(body['error-list'][0]).toMatchObject({
      code: 'invalid-request',
      message: expect.stringMatching(/^actions: \d+ entries, more than/),
    })
  }, 60_000)

  it('a JSON body over the route limit is a 413 in the store shape', async () => {
    // The answer comes before the body is read; the body is then read and dropped, so that the
    // client is not reset while it still writes, and the connection serves the next request.
    const res = await rawPost('/v2/charms/info/x', `"${'x'.repeat(2 << 20)}"`)
    expect([404, 413]).toContain(res.status)
    const big = await rawPost('/v2/snaps/refresh', `{"actions":[],"pad":"${'x'.repeat(17 << 20)}"}`)
    expect(big.status).toBe(413)
    expect(big.headers['content-type']).toBe('application/json')
    expect(big.next).toBe('HTTP/1.1 200 OK')
  }, 60_000)

  it('an overlong URL is refused without being read into memory', async () => {
    const res = await fetch(`${server.url}/v2/charms/info/${'x'.repeat(20_000)}`)
    expect(res.status).toBe(431)
  })
})

/**
 * Posts a JSON body over a raw socket, then a GET of the health check on the same connection, and
 * resolves with both answers' status lines and the first's headers.
 */
function rawPost(path: string, body: string): Promise<{ status: number; headers: Record<string, string>; next: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1')
    let answer = ''
    s.on('error', () => {})
    s.on('data', (d) => {
      answer += d.toString('latin1')
      const second = answer.indexOf('HTTP/1.1', 1)
      if (second < 0) return
      const [statusLine, ...lines] = answer.slice(0, answer.indexOf('\r\n\r\n')).split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of lines) {
        const colon = line.indexOf(':')
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
      }
      s.destroy()
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, next: answer.slice(second, answer.indexOf('\r\n', second)) })
    })
    s.on('close', () => reject(new Error(`no two answers to POST ${path}: ${JSON.stringify(answer.slice(0, 300))}`)))
    s.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`)
    s.write(body)
    s.write('GET /_status/check HTTP/1.1\r\nHost: x\r\n\r\n')
  })
}

/** Opens a socket and resolves with the ms until the server closes it. */
function trickle(
  send: (s: Socket, tick: number) => string | undefined,
  everyMs: number,
): { closedAfter: Promise<number>; answer: () => string } {
  const s = connect(port, '127.0.0.1')
  let answer = ''
  const t0 = Date.now()
  let tick = 0
  s.on('data', (d) => {
    answer += d.toString()
  })
  const closedAfter = new Promise<number>((resolve) => {
    const timer = setInterval(() => {
      const chunk = send(s, tick++)
      if (chunk !== undefined && !s.destroyed) s.write(chunk)
    }, everyMs)
    s.on('close', () => {
      clearInterval(timer)
      resolve(Date.now() - t0)
    })
    s.on('error', () => {})
  })
  return { closedAfter, answer: () => answer }
}

describe('slow clients', () => {
  it('headers sent byte by byte are cut off after the headers timeout; a slow body after the body timeout; an upload is not', async () => {
    // All three at once, so that the slowest deadline bounds the test's time.
    const head = 'GET /_status/check HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(10_000)
    const slowHeaders = trickle((_s, i) => head[i], 250)
    const slowBody = trickle(
      (_s, i) =>
        i === 0 ? 'POST /v2/snaps/refresh HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n' : ' ',
      500,
    )
    // An upload whose body takes longer than the body deadline: answered (a refusal, but an answer).
    const token = readFileSync(join(server.dataDir, 'admin.token'), 'utf8').trim()
    const payload =
      '--b\r\nContent-Disposition: form-data; name="file"; filename="x.tar.gz"\r\nContent-Type: application/octet-stream\r\n\r\nnot an export\r\n--b--\r\n'
    const uploadHead = `POST /admin/v1/charms HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: ${payload.length}\r\nConnection: close\r\n\r\n`
    const steps = Math.ceil((BODY_TIMEOUT_MS + 5000) / 1000)
    const chunk = Math.ceil(payload.length / steps)
    const upload = trickle((_s, i) => (i === 0 ? uploadHead : payload.slice((i - 1) * chunk, i * chunk) || undefined), 1000)

    const headersClosed = await slowHeaders.closedAfter
    expect(headersClosed).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 1000)
    expect(headersClosed).toBeLessThan(HEADERS_TIMEOUT_MS + 10_000)
    const bodyClosed = await slowBody.closedAfter
    expect(bodyClosed).toBeGreaterThanOrEqual(BODY_TIMEOUT_MS - 1000)
    expect(bodyClosed).toBeLessThan(BODY_TIMEOUT_MS + 10_000)
    expect(await upload.closedAfter).toBeGreaterThan(BODY_TIMEOUT_MS)
    expect(upload.answer()).toMatch(/^HTTP\/1\.1 4\d\d /)
    // The server still serves.
    expect((await fetch(`${server.url}/_status/check`)).status).toBe(200)
  }, 120_000)
})
