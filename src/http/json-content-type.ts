// Fastify appends "; charset=utf-8" to a JSON content type when the payload is a string; Juju and
// snapd compare Content-Type exactly (spec/charmhub-protocol.md §4, snap-store-protocol.md §3), so
// JSON answers go out as the bare media type (Buffers, such as kept info answers, Fastify leaves
// alone). A callback hook: an async one costs a promise per request.
import type { FastifyReply, FastifyRequest } from 'fastify'

export function bareJsonContentType(_req: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void): void {
  const ct = reply.getHeader('content-type')
  if (typeof ct === 'string' && ct.startsWith('application/')) {
    const semi = ct.indexOf(';')
    if (semi > 0) reply.header('content-type', ct.slice(0, semi).trim())
  }
  done(null, payload)
}
