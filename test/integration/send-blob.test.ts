// sendBlob over a real socket, with blobs several copy buffers long: whole bodies and ranges across
// buffer boundaries, a client that hangs up mid-download (the reused buffers must not leak into
// the next answers), a blob shorter than its catalog size (the connection is cut, never padded),
// an object store that stops answering (503 before the first byte, else a cut connection), and
// bytes that no longer match their digest (never served whole when the store asks for the check).
import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendBlob } from '../../src/http/send-blob.js'
import type { BlobFile, BlobStore } from '../../src/storage/blobs/blob-store.js'

const MiB = 1 << 20
const blobs = new Map<string, Buffer>([
  ['a'.repeat(64), randomBytes(5 * MiB + 12345)],
  ['b'.repeat(64), randomBytes(3 * MiB)],
])
let opened = 0
let closed = 0
/** Reads of this blob at or past `from` fail as a storage driver fails when the object store is down. */
const down = { sha256: 'd'.repeat(64), from: 0 }
const storeDown = () => Object.assign(new Error('the object store is unavailable (ECONNREFUSED)'), { code: 'EUNAVAILABLE' })

/** Whole-body reads checked against the digest, as the content store over S3 asks. */
let verify = false
const store = {
  get verifiesReads() {
    return verify
  },
  async openFile(sha256: string): Promise<BlobFile> {
    if (sha256 === down.sha256) {
      opened++
      const data = blobs.get('a'.repeat(64))!
      return {
        async read(into, position, length) {
          if (position >= down.from) throw storeDown()
          return data.copy(into, 0, position, Math.min(position + length, data.length))
        },
        async close() {
          closed++
        },
      }
    }
    const data = blobs.get(sha256)
    if (!data) throw Object.assign(new Error('absent'), { code: 'ENOENT' })
    opened++
    return {
      async read(into, position, length) {
        await new Promise((r) => setTimeout(r, 1))
        return data.copy(into, 0, position, Math.min(position + length, data.length))
      },
      async close() {
        closed++
      },
    }
  },
} as unknown as BlobStore

let app: FastifyInstance
let base: string

beforeAll(async () => {
  app = Fastify()
  app.get('/:sha/:size', (req, reply) => {
    const { sha, size } = req.params as { sha: string; size: string }
    return sendBlob(store, req, reply, { sha256: sha, size: Number(size), contentType: 'application/octet-stream', ranges: true })
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await app?.close()
})

interface Got {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
  complete: boolean
}

function get(path: string, headers: Record<string, string> = {}, abortAfter?: number): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}${path}`, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      let n = 0
      res.on('data', (c: Buffer) => {
        chunks.push(c)
        n += c.length
        if (abortAfter !== undefined && n >= abortAfter) {
          req.destroy()
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks), complete: false })
        }
      })
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete }))
      res.on('error', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks), complete: false }))
    })
    req.on('error', reject)
  })
}

describe('sendBlob', () => {
  const A = 'a'.repeat(64)
  const data = blobs.get(A)!

  it('sends the whole blob with its exact Content-Length', async () => {
    const r = await get(`/${A}/${data.length}`)
    expect(r.status).toBe(200)
    expect(r.headers['content-length']).toBe(String(data.length))
    expect(r.headers['accept-ranges']).toBe('bytes')
    expect(r.body.equals(data)).toBe(true)
  })

  it.each([
    [0, 0],
    [1, MiB],
    [MiB - 1, 3 * MiB + 7],
    [data.length - 10, data.length - 1],
  ])('sends bytes %i-%i', async (start, end) => {
    const r = await get(`/${A}/${data.length}`, { range: `bytes=${start}-${end}` })
    expect(r.status).toBe(206)
    expect(r.headers['content-range']).toBe(`bytes ${start}-${end}/${data.length}`)
    expect(r.body.equals(data.subarray(start, end + 1))).toBe(true)
  })

  it('survives clients hanging up mid-download, and closes every file', async () => {
    const B = 'b'.repeat(64)
    const other = blobs.get(B)!
    await Promise.all([1, 2, 3].map((i) => get(`/${B}/${other.length}`, {}, i * 700_000)))
    const [r1, r2] = await Promise.all([get(`/${A}/${data.length}`), get(`/${B}/${other.length}`)])
    expect(r1.body.equals(data)).toBe(true)
    expect(r2.body.equals(other)).toBe(true)
    await new Promise((r) => setTimeout(r, 100))
    expect(closed).toBe(opened)
  })

  it('cuts the connection when the blob is shorter than its catalog size', async () => {
    const r = await get(`/${A}/${data.length + 1000}`)
    expect(r.headers['content-length']).toBe(String(data.length + 1000))
    expect(r.complete).toBe(false)
    expect(r.body.length).toBeLessThan(data.length + 1000)
    expect((await get(`/${A}/${data.length}`)).body.equals(data)).toBe(true)
  })

  it('answers a missing blob through the error handler, before any byte is sent', async () => {
    const r = await get(`/${'c'.repeat(64)}/10`)
    expect(r.status).toBe(500)
  })

  it('answers 503 with Retry-After, not a 200 cut short, when the object store fails the first read', async () => {
    down.from = 0
    const before = closed
    for (const headers of [{}, { range: 'bytes=100-200' }] as Record<string, string>[]) {
      const r = await get(`/${down.sha256}/${data.length}`, headers)
      expect(r.status).toBe(503)
      expect(r.headers['retry-after']).toBe('5')
      expect(r.headers['content-range']).toBeUndefined()
      expect(r.headers['etag']).toBeUndefined()
      expect(JSON.parse(r.body.toString()).error.message).toMatch(/blob store is not answering/)
    }
    await new Promise((r) => setTimeout(r, 50))
    expect(closed - before).toBe(2)
  })

  it('cuts the connection when the object store fails after the first chunk', async () => {
    down.from = MiB
    const r = await get(`/${down.sha256}/${data.length}`)
    expect(r.status).toBe(200)
    expect(r.complete).toBe(false)
    expect(r.body.length).toBeLessThan(data.length)
    expect(r.body.equals(data.subarray(0, r.body.length))).toBe(true)
  })

  it('never serves whole a blob whose bytes do not match its digest, when the store checks reads', async () => {
    const good = Buffer.from(data)
    const digest = createHash('sha256').update(good).digest('hex')
    blobs.set(digest, good)
    verify = true
    try {
      const ok = await get(`/${digest}/${good.length}`)
      expect(ok.status).toBe(200)
      expect(ok.complete).toBe(true)
      expect(ok.body.equals(good)).toBe(true)
      // 'a'.repeat(64) is not the digest of its bytes: headers go out, the last chunk never does.
      const bad = await get(`/${A}/${data.length}`)
      expect(bad.complete).toBe(false)
      expect(bad.body.length).toBeLessThan(data.length)
      // Ranges are not checked (no whole read to check).
      const part = await get(`/${A}/${data.length}`, { range: 'bytes=0-99' })
      expect(part.body.equals(data.subarray(0, 100))).toBe(true)
    } finally {
      verify = false
    }
  })
})
