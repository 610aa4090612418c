// Serves a stored blob: exact Content-Length from the catalog, never compressed, optional Range.
// Juju accepts only 200 with a Content-Length that matches the body (spec/charmhub-protocol.md §4.2, §9).
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { BlobStore } from '../storage/blobs/blob-store.js'

export interface SendBlobOptions {
  readonly sha256: string
  readonly size: number
  readonly contentType: string
  readonly filename?: string
  /** Snaps support Range; Charmhub downloads must answer 200 (Juju treats 206 as failure). */
  readonly ranges?: boolean
}

function parseRange(header: string, size: number): { start: number; end: number } | 'invalid' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!m || (m[1] === '' && m[2] === '')) return header.includes(',') ? undefined : 'invalid'
  let start: number
  let end: number
  if (m[1] === '') { const n = Number(m[2]); start = Math.max(0, size - n); end = size - 1 } else {
    start = Number(m[1]); end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  }
  if (start > end || start >= size) return 'invalid'
  return { start, end }
}

export async function sendBlob(blobs: BlobStore, req: FastifyRequest, reply: FastifyReply, o: SendBlobOptions): Promise<FastifyReply> {
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
  const { stream } = await blobs.open(o.sha256, range)
  return reply.send(stream)
}
