// Whether an error means "the database is not answering" (down, restarting, unreachable), as
// opposed to a query it refused: callers answer 503 with Retry-After for the former.

// Node socket errors, and PostgreSQL's connection_exception class (08xxx) and shutdown codes.
const SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])
const SHUTDOWN = new Set(['57P01', '57P02', '57P03'])
// What node-postgres, PGlite and kysely say in plain messages when the connection is gone, never
// came, or the database was closed under a request (shutting down).
const MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Connection ended|PGlite is closed|driver has already been destroyed|database timeout/i

export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && (SOCKET.has(code) || SHUTDOWN.has(code) || /^08...$/.test(code))) return true
    const errors = (e as { errors?: unknown }).errors // AggregateError: every address refused
    if (Array.isArray(errors) && errors.length > 0 && errors.every((x) => isDatabaseUnavailable(x))) return true
    if (MESSAGES.test(String((e as { message?: unknown }).message ?? ''))) return true
  }
  return false
}
