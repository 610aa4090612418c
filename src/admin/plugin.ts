// The admin API under /admin/v1/: bearer-token check on every route, one error envelope
// {"error":{"code","message"}} mapped from catalog errors.
import type { FastifyError, FastifyInstance } from 'fastify'
import { CatalogError } from '../catalog/errors.js'
import type { ImportService } from '../import/import-service.js'
import type { Kysely } from 'kysely'
import type { DB } from '../storage/db/database.js'
import { tokenProblem } from './tokens.js'
import { pushRoutes } from './routes/push.js'
import { listRoutes } from './routes/list.js'
import { imageRoutes } from './routes/images.js'

export interface AdminDeps {
  readonly signingKey: Uint8Array
  readonly imports: ImportService
  readonly db: Kysely<DB>
  readonly uploadMaxBytes: number
  readonly registry: import('../catalog/oci-image.js').RegistryConfig
}

const STATUS: Record<string, number> = { 'invalid-input': 422, conflict: 409, 'not-found': 404, unavailable: 503 }

export async function adminPlugin(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  app.addHook('onRequest', async (req, reply) => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')
    const problem = m ? await tokenProblem(deps.signingKey, m[1]!) : 'invalid'
    if (problem) {
      reply.header('www-authenticate', 'Bearer realm="airlock-admin"')
      if (problem !== 'invalid') {
        return reply.code(401).send({ error: { code: 'token-expired', message: `the admin token expired at ${problem.expired}; mint a new one with \`airlock token create\`` } })
      }
      return reply.code(401).send({ error: { code: 'unauthorized', message: 'a valid admin token is required (Authorization: Bearer <token>)' } })
    }
  })
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof CatalogError) {
      req.log.info({ err: err.message }, 'admin request refused')
      return reply.code(STATUS[err.code] ?? 400).send({ error: { code: err.code, message: err.message } })
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
