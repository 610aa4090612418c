import { Writable } from 'node:stream'
import Fastify, { type FastifyBaseLogger } from 'fastify'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { AccessLog, lazyRequestLogger } from '../../src/http/access-log.js'

async function appWithLog(level = 'info') {
  const lines: Record<string, unknown>[] = []
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l))
      cb()
    },
  })
  const logger = pino({ level }, sink)
  let n = 0
  const app = Fastify({
    loggerInstance: logger as unknown as FastifyBaseLogger,
    genReqId: () => `req-${++n}`,
    logController: new AccessLog(logger),
    childLoggerFactory: lazyRequestLogger,
  })
  app.get('/ok', async () => ({ ok: true }))
  app.get('/talks', async (req) => {
    req.log.warn({ extra: 1 }, 'something to say')
    return 'x'
  })
  app.get('/boom', async () => {
    throw new Error('kaput')
  })
  app.get('/_status/check', async () => 'up')
  await app.ready()
  return { app, lines }
}

describe('access log', () => {
  it('writes one line per request with the request id, method, url, status and duration', async () => {
    const { app, lines } = await appWithLog()
    await app.inject({ url: '/ok?x=1' })
    await app.inject({ url: '/nowhere' })
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatchObject({ level: 30, reqId: 'req-1', method: 'GET', url: '/ok?x=1', status: 200, msg: 'request' })
    expect(typeof lines[0]!.ms).toBe('number')
    expect(lines[1]).toMatchObject({ reqId: 'req-2', url: '/nowhere', status: 404, msg: 'request' })
  })

  it("a route's own lines carry the request id of the request's access line", async () => {
    const { app, lines } = await appWithLog()
    await app.inject({ url: '/talks' })
    expect(lines.map((l) => [l.msg, l.reqId])).toEqual([
      ['something to say', 'req-1'],
      ['request', 'req-1'],
    ])
    expect(lines[0]).toMatchObject({ level: 40, extra: 1 })
  })

  it('logs failures with their request id, also when info is off, and leaves health probes out', async () => {
    const { app, lines } = await appWithLog('warn')
    await app.inject({ url: '/ok' })
    await app.inject({ url: '/_status/check' })
    await app.inject({ url: '/boom' })
    expect(lines.filter((l) => l.msg === 'request')).toEqual([])
    // Fastify's error handler logs the failure through the request's logger: the lazy child binds reqId.
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: 50, reqId: 'req-3', msg: 'kaput' })
  })
})

describe('access log of long URLs', () => {
  it('cuts a URL longer than 256 characters and says so', async () => {
    const { app, lines } = await appWithLog()
    const long = `/ok?fields=${'x'.repeat(1000)}`
    await app.inject({ url: long })
    expect(lines[0]!.url).toBe(`${long.slice(0, 256)}…`)
  })
})
