// The Snap Store API snapd talks to (docs/protocol/snap-store.md). Two plugins, one per URL prefix
// (`/v2` and `/api/v1/snaps`), each with its own error and not-found handlers so every answer goes
// through the content-type hook: snapd string-compares Content-Type on find, categories, sections
// and assertion errors (gotcha 1), and Fastify would append `; charset=utf-8`.
import { plainJsonBodies } from '../http/json-body.js'
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify'
import type { CatalogView } from '../catalog/catalog-view.js'
import type { AssertionReader } from '../catalog/ports.js'
import type { PublicUrls } from '../http/public-urls.js'
import { bareJsonContentType } from '../http/json-content-type.js'
import type { BlobStore } from '../storage/blobs/blob-store.js'
import { refreshRoute } from './routes/refresh.js'
import { infoRoute } from './routes/info.js'
import { findRoute } from './routes/find.js'
import { categoriesRoute, namesRoute, sectionsRoute } from './routes/catalog.js'
import { assertionRoutes, storeAssertionRoute } from './routes/assertions.js'
import { downloadRoute } from './routes/download.js'
import type { ServedBytes } from '../http/metrics.js'
import { deviceSessionRoutes } from './routes/auth.js'
import { Unavailable } from '../catalog/errors.js'

export interface SnapStoreDeps {
  readonly view: CatalogView
  readonly urls: PublicUrls
  readonly blobs: BlobStore
  readonly assertions: AssertionReader
  /** Counts download bytes (unset: metrics are off). */
  readonly served?: ServedBytes | undefined
}

export function errorList(code: string, message: string): string {
  return JSON.stringify({ 'error-list': [{ code, message }] })
}

/** A JSON error the way the v2 API answers it: `{"error-list":[…]}`, exactly `application/json`. */
export function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).type('application/json').send(errorList(code, message))
}

/** The same handlers and hook on each plugin: a hook covers only the plugin it is added to. */
function common(app: FastifyInstance, what: string): void {
  app.addHook('onSend', bareJsonContentType)
  app.setErrorHandler((err: FastifyError, req, reply) => {
    // Texts or assertions not cached while the database is down: snapd retries a 503 later.
    if (err instanceof Unavailable) return sendError(reply.header('retry-after', '5'), 503, 'service-unavailable', err.message)
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500
    if (status === 500) req.log.error({ err }, 'snap store request failed')
    return sendError(reply, status, status === 500 ? 'internal-error' : 'invalid-request', status === 500 ? 'internal server error' : err.message)
  })
  app.setNotFoundHandler((req, reply) => sendError(reply, 404, 'not-found', `no such ${what}: ${req.method} ${req.url.split('?')[0]}`))
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
