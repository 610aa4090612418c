import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyBaseLogger } from 'fastify'
import { describe, expect, it } from 'vitest'
import { sendJsonAnswer } from '../../src/http/json-content-type.js'
import { AccessLog } from '../../src/http/access-log.js'
import { createLogger } from '../../src/log.js'

async function app() {
  const lines: Record<string, unknown>[] = []
  const logger = createLogger('info', {
    write: (l: string) => {
      lines.push(JSON.parse(l))
    },
  })
  const a = Fastify({ loggerInstance: logger as unknown as FastifyBaseLogger, logController: new AccessLog(logger) })
  a.get('/text', (_req, reply) => {
    sendJsonAnswer(reply, '{"name":"caf\u00e9"}')
  })
  a.get('/bytes', (_req, reply) => {
    sendJsonAnswer(reply, Buffer.from('{"a":1}'))
  })
  a.post('/later', (_req, reply) => Promise.resolve().then(() => sendJsonAnswer(reply, '[]')))
  await a.ready()
  return { a, lines }
}

describe('sendJsonAnswer', () => {
  it('sends exactly application/json with the byte length, for text and for bytes', async () => {
    const { a } = await app()
    const t = await a.inject({ url: '/text' })
    expect(t.statusCode).toBe(200)
    expect(t.headers['content-type']).toBe('application/json')
    expect(t.headers['content-length']).toBe(String(Buffer.byteLength('{"name":"café"}')))
    expect(t.json()).toEqual({ name: 'café' })
    const b = await a.inject({ url: '/bytes' })
    expect(b.headers['content-type']).toBe('application/json')
    expect(b.body).toBe('{"a":1}')
    const l = await a.inject({ method: 'POST', url: '/later', payload: {} })
    expect([l.statusCode, l.headers['content-type'], l.body]).toEqual([200, 'application/json', '[]'])
  })

  it('answers HEAD with the headers alone', async () => {
    // Over a real socket: Node's server drops a HEAD answer's body (inject() only imitates that).
    const { a } = await app()
    await a.listen({ host: '127.0.0.1', port: 0 })
    try {
      const { port } = a.server.address() as AddressInfo
      const h = await new Promise<{ status: number; length: string | undefined; body: string }>((resolve, reject) => {
        request({ host: '127.0.0.1', port, method: 'HEAD', path: '/text' }, (res) => {
          let body = ''
          res.on('data', (c: Buffer) => {
            body += c.toString()
          })
          res.on('end', () => resolve({ status: res.statusCode ?? 0, length: res.headers['content-length'], body }))
        })
          .on('error', reject)
          .end()
      })
      expect(h).toEqual({ status: 200, length: String(Buffer.byteLength('{"name":"café"}')), body: '' })
    } finally {
      await a.close()
    }
  })

  it('is still logged as an answered request', async () => {
    const { a, lines } = await app()
    await a.inject({ url: '/text' })
    expect(lines.filter((l) => l.msg === 'request')).toEqual([
      expect.objectContaining({ method: 'GET', url: '/text', status: 200, service: 'airlock' }),
    ])
  })
})
