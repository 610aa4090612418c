// The admin API under /admin/v1/: bearer-token check on every route, one error envelope
// {"error":{"code","message"}} mapped from catalog errors.
import type { FastifyError, FastifyInstance } from 'fastify'
import { CatalogError } from '../catalog/errors.js'
import type { ImportService } from '../import/import-service.js'
import type { Kysely } from 'kysely'
import type { DB } from '../storage/db/database.js'
import { verifyToken } from './tokens.js'
import { pushRoutes } from './routes/push.js'
import { listRoutes } from './routes/list.js'
import { imageRoutes } from './routes/images.js'

export interface AdminDeps {
  readonly signingKey: Uint8Array
  readonly imports: ImportService
  readonly db: Kysely<DB>
  readonly uploadMaxBytes: number
  readonly registry: import('../catalog/oci-image.js').RegistryConfig
  /** Rejects when the database does not answer: writes are refused up front, before an upload streams in (the pool gives up connecting after 5 s too). */
  readonly ping?: () => Promise<void>
  /** Whether an error means the database is not answering (answered 503 with Retry-After). */
  readonly isUnavailable?: (err: unknown) => boolean
}

const RETRY_AFTER_S = 5
const UNAVAILABLE = 'the catalog database is not answering; nothing was changed, try again in a few seconds'
// Lost mid-request: a commit may have gone through just before; pushing the same export again is harmless.
const LOST = 'the catalog database stopped answering during the request; try again in a few seconds (pushing the same files again is safe)'

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const t = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('database timeout')), ms) })
  return Promise.race([p, t]).finally(() => clearTimeout(timer))
}

const STATUS: Record<string, number> = { 'invalid-input': 422, conflict: 409, 'not-found': 404, unavailable: 503 }

export async function adminPlugin(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  app.addHook('onRequest', async (req, reply) => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')
    if (!m || !(await verifyToken(deps.signingKey, m[1]!))) {
      reply.header('www-authenticate', 'Bearer realm="airlock-admin"')
      return reply.code(401).send({ error: { code: 'unauthorized', message: 'a valid admin token is required (Authorization: Bearer <token>)' } })
    }
    if (deps.ping && req.method !== 'GET' && req.method !== 'HEAD') {
      const up = await withTimeout(deps.ping(), 5000).then(() => true, () => false)
      if (!up) return reply.code(503).header('retry-after', String(RETRY_AFTER_S)).send({ error: { code: 'unavailable', message: UNAVAILABLE } })
    }
  })
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof CatalogError) {
      req.log.info({ err: err.message }, 'admin request refused')
      return reply.code(STATUS[err.code] ?? 400).send({ error: { code: err.code, message: err.message } })
    }
    if (deps.isUnavailable?.(err)) {
      req.log.warn({ err }, 'admin request failed: database not answering')
      return reply.code(503).header('retry-after', String(RETRY_AFTER_S)).send({ error: { code: 'unavailable', message: req.method === 'GET' || req.method === 'HEAD' ? UNAVAILABLE : LOST } })
    }
    if (err.statusCode && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ error: { code: err.code ?? 'bad-request', message: err.message } })
    }
    req.log.error({ err }, 'admin request failed')
    return reply.code(500).send({ error: { code: 'internal', message: 'internal error; see the server log' } })
  })
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: { code: 'not-found', message: `no admin route ${req.method} ${req.url}` } }))
  await pushRoutes(app, deps)
  await listRoutes(app, deps)
  await imageRoutes(app, deps)
}
