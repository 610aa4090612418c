// A body refused by its declared length (413) is answered before it is read, and fastify then asks
// for the connection to close. Closing a socket with unread bytes in its buffer makes the kernel send
// a reset, which can reach the client before it has read the answer: it then sees "connection reset"
// or EPIPE instead of the 413 that says what was wrong. Go's server avoids that by reading a little
// and lingering before it closes; here, for bodies up to a bound, the connection stays open and node
// reads and drops the body after the answer (a body deadline still applies, http/timeouts.ts). Above
// the bound the connection closes as before: reading it all would cost more than the clear answer is worth.
import type { FastifyInstance } from 'fastify'

/** Largest refused body read and dropped so that its 413 reaches the client. */
export const DRAIN_REFUSED_MAX_BYTES = 64 << 20

export function drainRefusedBodies(app: FastifyInstance, maxBytes = DRAIN_REFUSED_MAX_BYTES): void {
  // onError, not onSend: it runs only for errors, before the error handler answers.
  app.addHook('onError', (req, reply, err, done) => {
    if ((err as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE' && reply.getHeader('connection') === 'close') {
      const declared = Number(req.headers['content-length'])
      // Node drops an unread body only if nothing started reading it; fastify refuses by the
      // declared length before it reads, and a chunked body it cut off midway has been read from.
      if (Number.isSafeInteger(declared) && declared <= maxBytes && !req.raw.readableDidRead) reply.removeHeader('connection')
    }
    done()
  })
}
