// The admin API under /admin/v1/: bearer-token check on every route (signature, expiry, and the
// token's record: a revoked id is refused at once, on every replica), one error envelope
// {"error":{"code","message"}} mapped from catalog errors.
import type { FastifyError, FastifyInstance } from 'fastify'
import { CatalogError, isBlobStoreUnavailable } from '../catalog/errors.js'
import { authorize } from '../catalog/admin-tokens.js'
import { rememberActor } from './actor.js'
import type { AdminDeps } from './deps.js'
import { verifyToken } from './tokens.js'
import { pushRoutes } from './routes/push.js'
import { listRoutes } from './routes/list.js'
import { imageRoutes } from './routes/images.js'
import { channelRoutes } from './routes/channels.js'
import { tokenRoutes } from './routes/tokens.js'
import { auditRoutes } from './routes/audit.js'
import { statusRoutes } from './routes/status.js'
import { packageDetailRoutes } from './routes/package-detail.js'
import { gcRoutes } from './routes/gc.js'

const RETRY_AFTER_S = 5
const UNAVAILABLE = 'the catalog database is not answering; nothing was changed, try again in a few seconds'
// Lost mid-request: a commit may have gone through just before; pushing the same export again is harmless.
const LOST = 'the catalog database stopped answering during the request; try again in a few seconds (pushing the same files again is safe)'

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('database timeout')), ms)
  })
  return Promise.race([p, t]).finally(() => clearTimeout(timer))
}

// The object store failing mid-request leaves nothing half done: an import commits nothing and
// reclaims its blobs (or leaves them for gc), and gc stops before its next deletion.
function blobStoreDown(method: string, url: string | undefined): string {
  const what = url?.endsWith('/gc') ? 'nothing more was deleted, ' : method === 'POST' ? 'nothing was imported, ' : ''
  return `the blob store is not answering; ${what}try again in a few seconds`
}

const STATUS: Record<string, number> = { 'invalid-input': 422, conflict: 409, 'not-found': 404, unavailable: 503, ambiguous: 400 }

export async function adminPlugin(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  app.addHook('onRequest', async (req, reply) => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')
    const v = m
      ? await verifyToken(deps.signingKey, m[1]!)
      : { ok: false as const, message: 'a valid admin token is required (Authorization: Bearer <token>)' }
    // A write with a well-signed token is refused up front while the database is down, before its
    // record is read or an upload streams in.
    if (v.ok && deps.ping && req.method !== 'GET' && req.method !== 'HEAD') {
      const up = await withTimeout(deps.ping(), 5000).then(
        () => true,
        () => false,
      )
      if (!up)
        return reply
          .code(503)
          .header('retry-after', String(RETRY_AFTER_S))
          .send({ error: { code: 'unavailable', message: UNAVAILABLE } })
    }
    let a
    try {
      a = v.ok ? await authorize(deps.operations.tokens, v.claims) : v
    } catch (err) {
      // The token's record cannot be read. Only the read-only status, whose point is to say the
      // database is down, goes on with a token that verifies; every change needs its record.
      if (!(v.ok && req.method === 'GET' && req.url.split('?')[0] === `${app.prefix}/status`)) throw err
      a = { ok: true as const, actor: { tokenId: v.claims.id ?? '', tokenName: '' } }
    }
    if (!a.ok) {
      reply.header('www-authenticate', 'Bearer realm="airlock-admin"')
      return reply.code(401).send({ error: { code: 'unauthorized', message: a.message } })
    }
    rememberActor(req, a.actor)
  })
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof CatalogError) {
      req.log.info({ err: err.message }, 'admin request refused')
      return reply.code(STATUS[err.code] ?? 400).send({ error: { code: err.code, message: err.message } })
    }
    if (isBlobStoreUnavailable(err)) {
      req.log.warn({ err }, 'admin request failed: blob store not answering')
      return reply
        .code(503)
        .header('retry-after', String(RETRY_AFTER_S))
        .send({ error: { code: 'unavailable', message: blobStoreDown(req.method, req.routeOptions.url) } })
    }
    if (deps.isUnavailable?.(err)) {
      req.log.warn({ err }, 'admin request failed: database not answering')
      return reply
        .code(503)
        .header('retry-after', String(RETRY_AFTER_S))
        .send({ error: { code: 'unavailable', message: req.method === 'GET' || req.method === 'HEAD' ? UNAVAILABLE : LOST } })
    }
    if (err.statusCode && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ error: { code: err.code ?? 'bad-request', message: err.message } })
    }
    req.log.error({ err }, 'admin request failed')
    return reply.code(500).send({ error: { code: 'internal', message: 'internal error; see the server log' } })
  })
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: { code: 'not-found', message: `no admin route ${req.method} ${req.url}` } }),
  )
  await pushRoutes(app, deps)
  await listRoutes(app, deps)
  await imageRoutes(app, deps)
  await channelRoutes(app, deps)
  await tokenRoutes(app, deps)
  await auditRoutes(app, deps)
  await statusRoutes(app, deps)
  await packageDetailRoutes(app, deps)
  await gcRoutes(app, deps)
}
