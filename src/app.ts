// buildApp: every plugin registered, nothing listening. main.ts listens; tests call this directly.
import { randomBytes } from 'node:crypto'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Config } from './config/schema.js'
import type { Database } from './storage/db/connect.js'
import type { BlobStore } from './storage/blobs/blob-store.js'
import { catalogStore } from './storage/db/catalog.repo.js'
import { createImportService } from './import/import-service.js'
import { adminPlugin } from './admin/plugin.js'
import { healthRoutes } from './http/health.js'
import { VERSION } from './version.js'

export interface AppDeps {
  readonly config: Config
  readonly database: Database
  readonly blobs: BlobStore
  readonly signingKey: Uint8Array
  readonly logger: Logger
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomBytes(8).toString('hex'),
    // Uploads can take many minutes; the multipart plugin enforces the size limit.
    requestTimeout: 0,
    bodyLimit: 1 << 20,
    return503OnClosing: true,
  })
  const imports = createImportService({
    blobs: deps.blobs, catalog: catalogStore(deps.database.db), limits: deps.config.limits, log: deps.logger,
  })
  await app.register(healthRoutes, { ping: () => deps.database.ping(), database: deps.database.kind, version: VERSION })
  await app.register(adminPlugin, {
    prefix: '/admin/v1', signingKey: deps.signingKey, imports, db: deps.database.db, uploadMaxBytes: deps.config.limits.uploadMaxBytes,
  })
  return app
}
