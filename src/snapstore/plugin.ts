// The Snap Store API snapd talks to (docs/protocol/snap-store.md). Two plugins, one per URL prefix
// (`/v2` and `/api/v1/snaps`), each with its own error and not-found handlers so every answer goes
// through the content-type hook: snapd string-compares Content-Type on find, categories, sections
// and assertion errors (gotcha 1), and Fastify would append `; charset=utf-8`.
import { plainJsonBodies } from '../http/json-body.js'
import type { FastifyError, FastifyInstance } from 'fastify'
import { sendErrorList } from '../http/error-list.js'
import type { SnapStoreDeps } from './deps.js'
import { bareJsonContentType } from '../http/json-content-type.js'
import { refreshRoute } from './routes/refresh.js'
import { infoRoute } from './routes/info.js'
import { findRoute } from './routes/find.js'
import { categoriesRoute, namesRoute, sectionsRoute } from './routes/catalog.js'
import { assertionRoutes, storeAssertionRoute } from './routes/assertions.js'
import { downloadRoute } from './routes/download.js'
import { deviceSessionRoutes } from './routes/auth.js'
import { Unavailable } from '../catalog/errors.js'

/** The same handlers and hook on each plugin: a hook covers only the plugin it is added to. */
function common(app: FastifyInstance, what: string): void {
  app.addHook('onSend', bareJsonContentType)
  app.setErrorHandler((err: FastifyError, req, reply) => {
    // Texts or assertions not cached while the database is down: snapd retries a 503 later.
    if (err instanceof Unavailable) return sendErrorList(reply.header('retry-after', '5'), 503, 'service-unavailable', err.message)
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500
    if (status === 500) req.log.error({ err }, 'snap store request failed')
    return sendErrorList(
      reply,
      status,
      status === 500 ? 'internal-error' : 'invalid-request',
      status === 500 ? 'internal server error' : err.message,
    )
  })
  app.setNotFoundHandler((req, reply) => sendErrorList(reply, 404, 'not-found', `no such ${what}: ${req.method} ${req.url.split('?')[0]}`))
}

/** Everything under /v2: snaps/{refresh,info,find,categories}, assertions, auth/store/assertions. */
export async function snapStorePlugin(app: FastifyInstance, deps: SnapStoreDeps): Promise<void> {
  common(app, 'endpoint')
  plainJsonBodies(app)
  await refreshRoute(app, deps)
  await infoRoute(app, deps)
  await findRoute(app, deps)
  await categoriesRoute(app, deps)
  await assertionRoutes(app, deps)
  await storeAssertionRoute(app, deps)
}

/** Everything under /api/v1/snaps: downloads (docs/operations.md, "Download URLs"), sections, names, device sessions (§9). */
export async function snapStoreV1Plugin(app: FastifyInstance, deps: SnapStoreDeps): Promise<void> {
  common(app, 'snap endpoint')
  await downloadRoute(app, deps)
  await sectionsRoute(app, deps)
  await namesRoute(app, deps)
  await app.register(deviceSessionRoutes)
}
