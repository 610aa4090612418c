// buildApp: every plugin registered, nothing listening. main.ts listens; tests call this directly.
import { randomBytes } from 'node:crypto'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { AccessLog, lazyRequestLogger } from './http/access-log.js'
import { requestDeadlines, serverTimeouts } from './http/timeouts.js'
import type { Logger } from 'pino'
import type { Config } from './config/schema.js'
import type { Database } from './storage/db/connect.js'
import type { BlobStore } from './storage/blobs/blob-store.js'
import { catalogStore } from './storage/db/catalog.repo.js'
import { createImportService } from './import/import-service.js'
import { loadTrustedRoots } from './assertions/roots.js'
import { adminPlugin } from './admin/plugin.js'
import { healthRoutes } from './http/health.js'
import { VERSION } from './version.js'
import { publicUrlOf } from './config/load.js'
import { CatalogView } from './catalog/catalog-view.js'
import { catalogReader } from './storage/db/index-loader.js'
import { publicUrls } from './http/public-urls.js'
import { charmhubDownloadsPlugin, charmhubPlugin } from './charmhub/plugin.js'
import { snapStorePlugin, snapStoreV1Plugin } from './snapstore/plugin.js'
import { assertionReader } from './storage/db/assertions.repo.js'

export interface AppDeps {
  readonly config: Config
  readonly database: Database
  readonly blobs: BlobStore
  readonly signingKey: Uint8Array
  readonly logger: Logger
  /** Base of download URLs; defaults to the configured public URL (main.ts passes the bound port). */
  readonly publicBase?: () => string
}

// Request ids: 8 random bytes in hex as before, cut from a pool of 4 KiB encoded once (one
// randomBytes call and one hex encoding per 512 requests: both per request were ~3% of a cached
// Charmhub refresh's CPU, bench/charmhub).
let idPool = ''
let idOffset = 0
function requestId(): string {
  if (idOffset + 16 > idPool.length) { idPool = randomBytes(4096).toString('hex'); idOffset = 0 }
  const id = idPool.slice(idOffset, idOffset + 16)
  idOffset += 16
  return id
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  // Read once at start: a bad --trusted-assertions file stops the server instead of failing imports.
  const trustedRoots = await loadTrustedRoots(deps.config.trustedAssertions)
  const app = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    requestIdHeader: 'x-request-id',
    genReqId: requestId,
    // Uploads can take many minutes (exempt from the idle and body deadlines, http/timeouts.ts); the
    // multipart plugin enforces their size limit. Other JSON bodies: 1 MiB unless a route says more.
    ...serverTimeouts,
    bodyLimit: 1 << 20,
    return503OnClosing: true,
    logController: new AccessLog(deps.logger),
    childLoggerFactory: lazyRequestLogger,
  })
  requestDeadlines(app)
  const view = new CatalogView(catalogReader(deps.database.db))
  await view.loadAll()
  // Replicas sharing one PostgreSQL see each other's imports within a few seconds.
  if (deps.database.kind === 'pg') view.startPolling(5000, (err) => deps.logger.warn({ err }, 'catalog poll failed'))
  app.addHook('onClose', async () => { view.stop(); await deps.blobs.closeIdle() })
  const imports = createImportService({
    blobs: deps.blobs, catalog: catalogStore(deps.database.db), limits: deps.config.limits, log: deps.logger, trustedRoots,
    onCommitted: (ids) => view.reload(ids),
  })
  const urls = publicUrls(deps.publicBase ?? (() => publicUrlOf(deps.config)))
  await app.register(charmhubPlugin, { prefix: '/v2/charms', view, urls, blobs: deps.blobs, registry: deps.config.oci })
  await app.register(charmhubDownloadsPlugin, { prefix: '/api/v1', view, urls, blobs: deps.blobs, registry: deps.config.oci })
  const snapstore = { view, urls, blobs: deps.blobs, assertions: assertionReader(deps.database.db) }
  await app.register(snapStorePlugin, { prefix: '/v2', ...snapstore })
  await app.register(snapStoreV1Plugin, { prefix: '/api/v1/snaps', ...snapstore })
  await app.register(healthRoutes, { ping: () => deps.database.ping(), database: deps.database.kind, version: VERSION })
  await app.register(adminPlugin, {
    prefix: '/admin/v1', signingKey: deps.signingKey, imports, db: deps.database.db, uploadMaxBytes: deps.config.limits.uploadMaxBytes,
    registry: deps.config.oci,
  })
  return app
}
