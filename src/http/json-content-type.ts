// Fastify appends "; charset=utf-8" to a JSON content type when the payload is a string; Juju and
// snapd compare Content-Type exactly (docs/protocol/charmhub.md §4, docs/protocol/snap-store.md §3), so
// JSON answers go out as the bare media type (Buffers, such as kept info answers, Fastify leaves
// alone). A callback hook: an async one costs a promise per request.
import type { FastifyReply, FastifyRequest } from 'fastify'

export function bareJsonContentType(
  _req: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  done: (err: null, payload: unknown) => void,
): void {
  const ct = reply.getHeader('content-type')
  if (typeof ct === 'string' && ct.startsWith('application/')) {
    const semi = ct.indexOf(';')
    if (semi > 0) reply.header('content-type', ct.slice(0, semi).trim())
  }
  done(null, payload)
}

/**
 * A 200 answer of finished JSON text, written to the socket directly: the hot answers (Charmhub
 * refresh and info, snap refresh) skip Fastify's send pipeline (content-type parsing, the charset it
 * appends and the hook that takes it off again, a second UTF-8 length scan), a measurable share of
 * a cached refresh's CPU (decision 0006). The reply is hijacked, which Fastify still logs and counts
 * as answered; the route must have nothing else to send. HEAD gets the headers alone (Node drops
 * the body). `byteLength` when the caller knows it.
 */
export function sendJsonAnswer(reply: FastifyReply, body: string | Buffer, byteLength?: number): void {
  reply.hijack()
  reply.raw.writeHead(200, { 'content-type': 'application/json', 'content-length': byteLength ?? Buffer.byteLength(body) })
  reply.raw.end(body)
}
