// How long a client may take: a slow client (slowloris) cannot hold a connection, or the memory of a
// half-received body, for ever. Uploads under /admin/v1 are exempt: a multi-GiB export sent over a
// slow link, then imported while the client waits for the report, takes many minutes.
// docs/decisions/0011.
import type { Socket } from 'node:net'
import type { FastifyInstance, FastifyRequest } from 'fastify'

/** Headers must be complete this long after the connection (or the previous request) began. */
export const HEADERS_TIMEOUT_MS = 15_000
/** A request body (JSON of a refresh, say) must be received within this. */
export const BODY_TIMEOUT_MS = 30_000
/** A socket silent this long in both directions is closed (uploads excepted). */
export const IDLE_TIMEOUT_MS = 60_000
/** Node checks the headers deadline this often; the default (30 s) would let it slip that much. */
const CHECK_INTERVAL_MS = 1_000

/** Fastify options: the node server's own timeouts. */
export const serverTimeouts = {
  connectionTimeout: IDLE_TIMEOUT_MS,
  // The whole-request deadline of node is server-wide, so uploads could not be exempt: bodies get
  // their own deadline below instead.
  requestTimeout: 0,
  http: { headersTimeout: HEADERS_TIMEOUT_MS, connectionsCheckingInterval: CHECK_INTERVAL_MS },
} as const

const isUpload = (req: FastifyRequest): boolean => req.url.startsWith('/admin/v1/')

const hasBody = (req: FastifyRequest): boolean =>
  req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0')

/**
 * Uploads lose the idle timeout; other requests with a body get a deadline for it, after which the
 * socket is destroyed. The timer goes once the body has been read (node reads and drops an unread
 * body after the answer, so 'end' comes either way).
 */
export function requestDeadlines(app: FastifyInstance, bodyTimeoutMs = BODY_TIMEOUT_MS): void {
  app.addHook('onRequest', (req, _reply, done) => {
    // inject() (tests) gives a socket stand-in without timers: deadlines are for real sockets only.
    const socket = req.raw.socket as Partial<Socket> | undefined
    if (typeof socket?.setTimeout !== 'function') {
      done()
      return
    }
    if (isUpload(req)) socket.setTimeout(0)
    else if (hasBody(req)) {
      const raw = req.raw
      const timer = setTimeout(() => raw.socket.destroy(), bodyTimeoutMs)
      raw.once('end', () => clearTimeout(timer))
      raw.once('close', () => clearTimeout(timer))
    }
    done()
  })
}
