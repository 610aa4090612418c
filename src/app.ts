// buildApp: every plugin registered, nothing listening. main.ts listens; tests call this directly.
import { randomBytes } from 'node:crypto'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { AccessLog, lazyRequestLogger } from './http/access-log.js'
import { requestDeadlines, serverTimeouts } from './http/timeouts.js'
import { drainRefusedBodies } from './http/refused-body.js'
import type { Logger } from 'pino'
import type { Config } from './config/schema.js'
import type { Database } from './storage/db/connect.js'
import type { BlobStore } from './storage/blobs/blob-store.js'
import { catalogStore } from './storage/db/catalog.repo.js'
import { createImportService } from './import/import-service.js'
import { describeRoots, loadTrustedRoots } from './assertions/roots.js'
import { adminPlugin } from './admin/plugin.js'
import { healthRoutes } from './http/health.js'
import { VERSION } from './version.js'
import { publicUrlOf } from './config/load.js'
import { CatalogView } from './catalog/catalog-view.js'
import { catalogReader } from './storage/db/index-loader.js'
import { publicUrls } from './http/public-urls.js'
import { perRequestBase } from './http/forwarded-base.js'
import { charmhubDownloadsPlugin, charmhubPlugin } from './charmhub/plugin.js'
import { snapStorePlugin, snapStoreV1Plugin } from './snapstore/plugin.js'
import { assertionReader } from './storage/db/assertions.repo.js'
import { ServerMetrics } from './http/metrics.js'
import { metricsRoute } from './http/metrics-route.js'
import { webPlugin } from './web/plugin.js'
import { operationsDeps } from './operations-deps.js'
import { isDatabaseUnavailable } from './storage/db/unavailable.js'
import { blobRefs } from './storage/db/blob-refs.repo.js'
import { createGcService } from './gc/service.js'

export interface AppDeps {
  readonly config: Config
  readonly database: Database
  readonly blobs: BlobStore
  readonly signingKey: Uint8Array
  readonly logger: Logger
  /** Base of download URLs; defaults to the configured public URL (main.ts passes the bound port). */
  readonly publicBase?: () => string
  /**
   * Sweep unreferenced blobs and temp files before serving, and collect garbage every gc.interval
   * (main.ts; tests that build the app leave it off).
   */
  readonly collectGarbage?: boolean
}

// Request ids: 8 random bytes in hex as before, cut from a pool of 4 KiB encoded once (one
// randomBytes call and one hex encoding per 512 requests: both per request showed in a cached
// Charmhub refresh's profile, decision 0006).
let idPool = ''
let idOffset = 0
function requestId(): string {
  if (idOffset + 16 > idPool.length) {
    idPool = randomBytes(4096).toString('hex')
    idOffset = 0
  }
  const id = idPool.slice(idOffset, idOffset + 16)
  idOffset += 16
  return id
}

/**
 * Keeps the read model following commits made by other processes (docs/decisions/0010): announced
 * ones at once, through the database's LISTEN connection, and a poll as the fallback. The embedded
 * database belongs to this process, whose own commits refresh the view directly.
 */
function watchCatalog(view: CatalogView, database: Database, logger: Logger): { close(): Promise<void> } | undefined {
  if (database.kind !== 'pg') return undefined
  const log = logger.child({ module: 'catalog-changes' })
  const refresh = () => {
    view.refresh().catch(() => {
      /* the poll reports failures */
    })
  }
  view.startWatching({
    pollMs: 3000,
    onFailing: (err) => log.warn({ err }, 'catalog database not answering: serving the catalog from memory until it is back'),
    onRecovered: () => log.info('catalog database answering again: caught up'),
  })
  let dropped = false
  return database.listen({
    onChange: refresh,
    onListening: () => {
      if (dropped) log.info('change notifications: listening again')
      dropped = false
      refresh()
    },
    onDropped: (err) => {
      if (!dropped) log.warn({ err }, 'change notifications: connection lost, reconnecting')
      dropped = true
    },
  })
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  // Read once at start: a bad --trusted-assertions file stops the server instead of failing imports.
  const trustedRoots = await loadTrustedRoots(deps.config.trustedAssertions)
  // Says which roots an import will be verified against, so a refused snap can be traced to a missing one.
  deps.logger.info({ files: deps.config.trustedAssertions, ...describeRoots(trustedRoots) }, 'trusted roots loaded')
  const view = new CatalogView(catalogReader(deps.database.db))
  const metrics = deps.config.metrics
    ? new ServerMetrics({ view, blobDir: deps.config.dataDir, ping: () => deps.database.ping() })
    : undefined
  const app = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    requestIdHeader: 'x-request-id',
    genReqId: requestId,
    // Uploads can take many minutes (exempt from the idle and body deadlines, http/timeouts.ts); the
    // multipart plugin enforces their size limit. Other JSON bodies: 1 MiB unless a route says more.
    ...serverTimeouts,
    bodyLimit: 1 << 20,
    return503OnClosing: true,
    logController: new AccessLog(deps.logger, metrics?.observeRequest),
    childLoggerFactory: lazyRequestLogger,
  })
  requestDeadlines(app)
  drainRefusedBodies(app)
  await view.loadAll()
  const changes = watchCatalog(view, deps.database, deps.logger)
  app.addHook('onClose', async () => {
    view.stop()
    await changes?.close()
    await deps.blobs.closeIdle()
  })
  const assertions = assertionReader(deps.database.db)
  // Awaited before the change answers: the replica that made it serves it at once. An import may
  // store a newer revision of an assertion snapd already fetched: serve that at once too.
  const onCommitted = (_ids: string[]) => {
    assertions.clear()
    return view.refresh()
  }
  const refs = blobRefs(deps.database.db)
  const locks = deps.database.blobLocks
  const imports = createImportService({
    blobs: deps.blobs,
    catalog: catalogStore(deps.database.db),
    locks,
    refs,
    limits: deps.config.limits,
    log: deps.logger,
    trustedRoots,
    onCommitted,
    ...(metrics ? { onFinished: metrics.importFinished.bind(metrics) } : {}),
  })
  const gc = createGcService({ blobs: deps.blobs, refs, locks, log: deps.logger })
  app.addHook('onClose', () => gc.stop())
  if (deps.collectGarbage) {
    // The embedded database belongs to this process alone, so at start no temp file is anyone's
    // write in progress; with PostgreSQL another replica may share the data dir.
    await gc.run({ tempOlderThanMs: deps.database.kind === 'pglite' ? 0 : undefined })
    gc.schedule(deps.config.gc.intervalMs)
  }
  const served = metrics?.servedBytes()
  const urls = publicUrls(perRequestBase(app, deps.config.trustedProxies, deps.publicBase ?? (() => publicUrlOf(deps.config))))
  await app.register(charmhubPlugin, { prefix: '/v2/charms', view, urls, blobs: deps.blobs, registry: deps.config.oci })
  await app.register(charmhubDownloadsPlugin, { prefix: '/api/v1', view, urls, blobs: deps.blobs, registry: deps.config.oci, served })
  const snapstore = { view, urls, blobs: deps.blobs, assertions, served }
  await app.register(snapStorePlugin, { prefix: '/v2', ...snapstore })
  await app.register(snapStoreV1Plugin, { prefix: '/api/v1/snaps', ...snapstore })
  await app.register(healthRoutes, { ping: () => deps.database.ping(), database: deps.database.kind, version: VERSION })
  if (metrics) await app.register(metricsRoute, { metrics })
  await app.register(webPlugin, { view, urls, registry: deps.config.oci })
  await app.register(adminPlugin, {
    prefix: '/admin/v1',
    signingKey: deps.signingKey,
    imports,
    gc,
    uploadMaxBytes: deps.config.limits.uploadMaxBytes,
    registry: deps.config.oci,
    operations: operationsDeps({
      database: deps.database,
      dataDir: deps.config.dataDir,
      trustedRoots,
      registryDomain: deps.config.oci.registryDomain,
      onCommitted,
    }),
    isUnavailable: isDatabaseUnavailable,
    // The embedded database cannot be unreachable, and its one connection may be busy with an import's commit.
    ...(deps.database.kind === 'pg' ? { ping: () => deps.database.ping() } : {}),
  })
  return app
}
