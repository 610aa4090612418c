// loadConfig → openDatabase → migrate → buildApp → listen; graceful close on SIGTERM/SIGINT.
import { join, resolve } from 'node:path'
import type { Config } from './config/schema.js'
import { publicUrlOf } from './config/load.js'
import { createLogger } from './log.js'
import { openDatabase } from './storage/db/connect.js'
import { migrate } from './storage/db/migrate.js'
import { createLocalBlobStore } from './storage/blobs/local-store.js'
import { createBlobStore } from './storage/blobs/content-store.js'
import { loadSigningKey, prepareAdminToken } from './admin/tokens.js'
import { tokenStore } from './storage/db/tokens.repo.js'
import { buildApp } from './app.js'
import { VERSION } from './version.js'
import { StartupError } from './config/errors.js'
import { InvalidInput } from './catalog/errors.js'
import { DataDirInUse, lockDataDir } from './storage/data-dir-lock.js'
import { databaseFailure, listenFailure, openCheckedDriver, prepareDataDir } from './startup.js'
import type { Database } from './storage/db/connect.js'
import { stopPretenuring } from './gc-tuning.js'

/**
 * The data dir checked (and, for the embedded database, locked to this process), then the database
 * opened and migrated; every failure on the way is one StartupError line.
 */
async function openStore(config: Config): Promise<{ dataDir: string; database: Database; applied: string[]; release: () => void }> {
  const dataDir = resolve(config.dataDir)
  prepareDataDir(dataDir)
  let release = (): void => {}
  if (!config.databaseUrl) {
    try {
      release = lockDataDir(dataDir).release
    } catch (err) {
      if (err instanceof DataDirInUse) throw new StartupError(err.message)
      throw new StartupError(`cannot lock the data dir ${dataDir}: ${(err as Error).message}`)
    }
  }
  let database: Database | undefined
  try {
    database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir })
    // A first query outside the migrator, whose error would hide the driver's code (ECONNREFUSED, 3D000).
    await database.ping()
    const applied = await migrate(database.db)
    return { dataDir, database, applied, release }
  } catch (err) {
    await database?.close().catch(() => {})
    release()
    throw databaseFailure(config.databaseUrl, err)
  }
}

/** How long a presigned download URL stays valid (s3.redirect): enough to start, short enough not to be shared. */
const REDIRECT_SECONDS = 300

export async function serve(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel)
  // The object store is checked before anything else, so its failures read as such (one line, exit 1).
  const blobDriver = config.blobStore === 's3' ? await openCheckedDriver('s3', resolve(config.dataDir), config.s3) : undefined
  const { dataDir, database, applied } = await openStore(config)
  logger.info({ database: database.kind, applied }, 'database ready')
  const signingKey = loadSigningKey(dataDir, true)
  const token = await prepareAdminToken(dataDir, signingKey, tokenStore(database.db))
  if (token.outcome === 'created')
    logger.info({ path: token.path }, 'wrote the admin token (use it with --token, or run admin commands with --data-dir)')
  if (token.outcome === 'replaced')
    logger.warn({ path: token.path, reason: token.reason }, 'replaced the admin token, which no longer worked')
  let boundPort = config.port
  const app = await buildApp({
    config,
    database,
    blobs: blobDriver
      ? createBlobStore(blobDriver, {
          scratchDir: join(dataDir, 'tmp'),
          redirectSeconds: config.s3.redirect ? REDIRECT_SECONDS : undefined,
        })
      : createLocalBlobStore(dataDir),
    signingKey,
    logger,
    publicBase: () => publicUrlOf(config, boundPort),
    collectGarbage: true,
  }).catch(async (err: unknown) => {
    await database.close().catch(() => {})
    // Only the trusted assertions are read from files while the app is built.
    throw err instanceof InvalidInput ? new StartupError(`invalid trusted-assertions: ${err.message}`) : err
  })
  // The catalog is loaded; what is allocated from here on is mostly per request.
  stopPretenuring()
  try {
    await app.listen({ host: config.host, port: config.port })
  } catch (err) {
    await app.close().catch(() => {})
    await database.close().catch(() => {})
    throw listenFailure(config.host, config.port, err)
  }
  const addr = app.server.address()
  const port = typeof addr === 'object' && addr ? addr.port : config.port
  boundPort = port
  // Signal listeners before the "airlock listening" line: a supervisor (or a test) may send SIGTERM
  // as soon as it reads that line, and a signal with no listener yet kills the process outright.
  let closing = false
  const shutdown = async (signal: string) => {
    if (closing) return
    closing = true
    logger.info({ signal }, 'shutting down: finishing in-flight requests')
    try {
      await app.close()
      await database.close()
      logger.info('stopped')
      process.exit(0)
    } catch (err) {
      logger.error({ err }, 'shutdown failed')
      process.exit(1)
    }
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))

  logger.info(
    {
      url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
      publicUrl: publicUrlOf(config, port),
      dataDir,
      version: VERSION,
    },
    'airlock listening',
  )
  // Log lines are written in batches (log.ts); scripts and supervisors wait for this one.
  logger.flush()
}

export async function migrateOnly(config: Config): Promise<string[]> {
  const { database, applied, release } = await openStore(config)
  try {
    return applied
  } finally {
    await database.close()
    release()
  }
}
