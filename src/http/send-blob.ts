// Serves a stored blob: exact Content-Length from the catalog, never compressed, optional Range.
// Juju accepts only 200 with a Content-Length that matches the body (docs/protocol/charmhub.md §4.2, §9).
import { createHash } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { isBlobStoreUnavailable } from '../catalog/errors.js'
import type { BlobFile, BlobStore } from '../storage/blobs/blob-store.js'

export interface SendBlobOptions {
  readonly sha256: string
  readonly size: number
  readonly contentType: string
  readonly filename?: string
  /** Snaps support Range; Charmhub downloads must answer 200 (Juju treats 206 as failure). */
  readonly ranges?: boolean
  /** Told the bytes of each chunk once the socket took it (the bytes-served metric). */
  readonly served?: ((bytes: number) => void) | undefined
}

function parseRange(header: string, size: number): { start: number; end: number } | 'invalid' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!m || (m[1] === '' && m[2] === '')) return header.includes(',') ? undefined : 'invalid'
  let start: number
  let end: number
  if (m[1] === '') {
    const n = Number(m[2])
    start = Math.max(0, size - n)
    end = size - 1
  } else {
    start = Number(m[1])
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  }
  if (start > end || start >= size) return 'invalid'
  return { start, end }
}

export async function sendBlob(blobs: BlobStore, req: FastifyRequest, reply: FastifyReply, o: SendBlobOptions): Promise<FastifyReply> {
  // A presigned URL is signed for GET only, so HEAD is still answered here. The object store sets
  // Content-Length (Juju 4.0 checks it against the body) and serves ranges itself.
  try {
    if (req.method === 'GET' && blobs.redirectURL) {
      const location = await blobs.redirectURL(o.sha256)
      if (location) return reply.code(302).header('location', location).header('cache-control', 'no-store').send()
    }
  } catch (err) {
    if (isUnavailable(err)) return unavailable(req, reply, err)
    throw err
  }
  reply.header('content-type', o.contentType)
  reply.header('cache-control', 'public, max-age=31536000, immutable')
  reply.header('etag', `"${o.sha256}"`)
  if (o.filename) reply.header('content-disposition', `attachment; filename="${o.filename}"`)
  if (o.ranges) reply.header('accept-ranges', 'bytes')
  let range: { start: number; end: number } | undefined
  if (o.ranges && typeof req.headers.range === 'string') {
    const r = parseRange(req.headers.range, o.size)
    if (r === 'invalid') {
      return reply.code(416).header('content-range', `bytes */${o.size}`).header('content-length', '0').send()
    }
    range = r
  }
  if (range) {
    reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${o.size}`)
    reply.header('content-length', String(range.end - range.start + 1))
  } else {
    reply.header('content-length', String(o.size))
  }
  if (req.method === 'HEAD') return reply.send()
  // Opened, and its first chunk read, before the reply is taken over: a missing blob still goes
  // through the error handler, and an object store that does not answer gets a 503 rather than a
  // 200 cut short. (A store that fails after the first chunk can only cut the connection.)
  let copy: BlobCopy
  try {
    // A whole body read from an object store is checked against its digest as it goes out: the last
    // chunk is held back until it matches, so a blob altered in the bucket is never served complete.
    const check = blobs.verifiesReads && !range ? o.sha256 : undefined
    copy = startCopy(await blobs.openFile(o.sha256), range?.start ?? 0, range ? range.end : o.size - 1, check)
  } catch (err) {
    if (isUnavailable(err)) return unavailable(req, reply, err)
    throw err
  }
  try {
    await copy.first
  } catch (err) {
    await copy.abandon()
    if (isUnavailable(err)) return unavailable(req, reply, err)
    throw err
  }
  reply.hijack()
  const res = reply.raw
  for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) res.setHeader(k, v)
  res.writeHead(reply.statusCode)
  try {
    await copy.to(res, o.served)
    res.end()
  } catch (err) {
    // Headers are out: all that can be done is to cut the connection, so the client sees a short body.
    if (!res.destroyed) req.log.error({ err }, 'blob download failed')
    res.destroy()
  }
  return reply
}

/** The blob store's backing service (an object store) is unreachable: worth a retry, not a 500. */
const isUnavailable = isBlobStoreUnavailable

const RETRY_AFTER_S = 5

function unavailable(req: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  req.log.warn({ err }, 'blob download failed: the blob store is unavailable')
  for (const h of ['content-length', 'content-range', 'content-disposition', 'etag', 'cache-control', 'accept-ranges'])
    reply.removeHeader(h)
  return reply
    .code(503)
    .header('retry-after', String(RETRY_AFTER_S))
    .type('application/json')
    .send({ error: { code: 'unavailable', message: 'the blob store is not answering; try again in a few seconds' } })
}

// Downloads are copied through reused buffers, CHUNK bytes per read and per socket write, two per
// download (one read ahead while the other is written). A stream would allocate a fresh buffer per
// read: at 1-2 GiB/s that is as much garbage, and V8 runs a full collection for every ~64 MiB of
// dead external memory (bench/snapstore: ~1.6 cores for 0.8 GiB/s with 2 MiB reads).
// 512 KiB beat 256 KiB and 1 MiB in every download mode (bench/README.md, bench/snapstore).
const CHUNK = 512 << 10
/** Idle buffers kept for the next downloads (CHUNK each). */
const MAX_SPARE = 16
const spare: Buffer[] = []
const take = (): Buffer => spare.pop() ?? Buffer.allocUnsafeSlow(CHUNK)
const give = (b: Buffer): void => {
  if (spare.length < MAX_SPARE) spare.push(b)
}

/** Writes `chunk` and resolves once the socket is done with it (its buffer may be reused then). */
function write(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (res.destroyed) {
      reject(new Error('connection closed'))
      return
    }
    const onClose = () => reject(new Error('connection closed'))
    res.once('close', onClose)
    res.write(chunk, (err) => {
      res.removeListener('close', onClose)
      if (err) reject(err)
      else resolve()
    })
  })
}

interface BlobCopy {
  /** Settles once the first chunk is read (at once for an empty range). */
  readonly first: Promise<unknown>
  /** Writes the bytes to `res`, then closes the file. */
  to(res: ServerResponse, served?: (bytes: number) => void): Promise<void>
  /** Closes the file without writing (the first read failed). */
  abandon(): Promise<void>
}

/**
 * Starts copying bytes start..end (inclusive) of `file`: the first read begins now. With `sha256`
 * (a whole blob), the bytes are hashed and the last chunk is written only if the digest matches.
 */
function startCopy(file: BlobFile, start: number, end: number, sha256?: string): BlobCopy {
  const hash = sha256 ? createHash('sha256') : undefined
  const bufs = [take(), take()] as const
  let pos = start
  let turn = 0
  const readNext = (): Promise<Buffer> => {
    const buf = bufs[turn++ % 2]!
    const length = Math.min(buf.length, end + 1 - pos)
    const at = pos
    pos += length
    return file.read(buf, at, length).then((n) => {
      if (n !== length) throw new Error(`blob shorter than its catalog size (read ${n} of ${length} bytes at ${at})`)
      return buf.subarray(0, n)
    })
  }
  let inFlight: Promise<Buffer> | undefined = pos <= end ? readNext() : undefined
  const release = async (): Promise<void> => {
    // A read ahead may still be filling a buffer: wait before the buffers go back to the pool.
    await inFlight?.catch(() => undefined)
    await file.close().catch(() => undefined)
    bufs.forEach(give)
  }
  return {
    first: inFlight ?? Promise.resolve(),
    abandon: release,
    async to(res, served) {
      try {
        while (inFlight) {
          const chunk = await inFlight
          inFlight = pos <= end ? readNext() : undefined
          if (hash) {
            hash.update(chunk)
            if (!inFlight && hash.digest('hex') !== sha256)
              throw new Error(
                `blob ${sha256} in the blob store does not match its digest: not served whole (airlock blobs verify lists every such blob)`,
              )
          }
          await write(res, chunk)
          served?.(chunk.length)
        }
      } finally {
        await release()
      }
    },
  }
}
