// Opens the catalog database: PostgreSQL through pg when a URL is given, else embedded PGlite
// under <data-dir>/db. Both speak the same SQL and run the same migrations.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { Kysely, PostgresDialect } from 'kysely'
import type { DB } from './database.js'
import { PGliteDialect } from './pglite-dialect.js'
import { listenForChanges, type ChangeHandlers, type ChangeListener } from './change-listener.js'
import { InProcessBlobLocks, type BlobLocks } from '../blobs/blob-locks.js'
import { PgBlobLocks } from './pg-blob-locks.js'

export interface Database {
  readonly db: Kysely<DB>
  readonly kind: 'pg' | 'pglite'
  /** Who may delete a blob: across replicas on PostgreSQL, in-process on the embedded database. */
  readonly blobLocks: BlobLocks
  /** Cheap liveness probe for the health check; rejects when the database does not answer. */
  ping(): Promise<void>
  /**
   * Announcements of catalog changes committed by other processes (PostgreSQL: LISTEN on a
   * connection of its own, reconnecting by itself); undefined for the embedded database, which
   * belongs to this process alone.
   */
  listen(handlers: ChangeHandlers): ChangeListener | undefined
  close(): Promise<void>
}

// A catalog database is small; PostgreSQL's default 128 MB of shared buffers only costs memory here.
// PGlite allocates them up front inside its WebAssembly memory: 16 MB is 18 MiB less resident than
// 32 MB (bench/import), and pages beyond them are read through the OS page cache.
const PGLITE_CONF = ['shared_buffers = 16MB']

/**
 * PGlite is PostgreSQL compiled to WebAssembly. By default V8 compiles it with its baseline compiler
 * (Liftoff) and recompiles hot functions with TurboFan on background threads; that recompilation
 * leaves 50-80 MiB of freed compiler memory in glibc's malloc arenas, which are never given back
 * (bench/README.md, "where the memory goes"). Liftoff only keeps that memory and costs little speed;
 * `--no-liftoff`, TurboFan for everything, is as small but slow to start (decision 0006 has the
 * figures). V8 reads the flag when it compiles
 * a module, so it must be set before PGlite is instantiated.
 */
const PGLITE_V8_FLAGS = ['--liftoff-only']

/**
 * PGlite's initdb peaks at about 700 MB of resident memory, which the process keeps afterwards.
 * Running it once in a short-lived child leaves the server at about 180 MB (measured in
 * bench/import), at the cost of a few seconds on the very first start.
 */
function initialiseInChild(dir: string): void {
  const entry = import.meta.resolve('@electric-sql/pglite')
  const script = `const { PGlite } = await import(${JSON.stringify(entry)}); const db = await PGlite.create(${JSON.stringify(dir)}, { postgresqlconf: ${JSON.stringify(PGLITE_CONF)} }); await db.close()`
  const r = spawnSync(process.execPath, [...PGLITE_V8_FLAGS, '--input-type=module', '-e', script], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 120_000,
  })
  if (r.status !== 0)
    throw new Error(
      `initialising the embedded database in ${dir} failed: ${r.stderr?.toString().trim() || r.error?.message || `exit ${r.status}`}`,
    )
}

export async function openDatabase(opts: { databaseUrl?: string | undefined; dataDir: string }): Promise<Database> {
  if (opts.databaseUrl) {
    // Loaded only here: an embedded-database server has no use for the driver.
    const { default: pg } = await import('pg')
    // bigint (int8) columns such as blob sizes come back as strings by default; sizes stay below 2^53.
    pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v))
    // While the database is down or unreachable nothing may wait forever: a connection attempt gives
    // up after 5 s, a query whose answer never comes after a minute (a dropped network path), and TCP
    // keepalives notice a dead idle connection. The pool reconnects on demand once the database is back.
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: 10,
      connectionTimeoutMillis: 5000,
      query_timeout: 60_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    })
    pool.on('error', () => {
      /* idle client errors surface on the next query */
    })
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
    const listeners = new Set<ChangeListener>()
    const url = opts.databaseUrl
    return {
      db,
      kind: 'pg',
      blobLocks: new PgBlobLocks(pool),
      async ping() {
        await pool.query('SELECT 1')
      },
      listen(handlers) {
        const l = listenForChanges(url, handlers)
        listeners.add(l)
        return {
          close: async () => {
            listeners.delete(l)
            await l.close()
          },
        }
      },
      async close() {
        await Promise.all([...listeners].map((l) => l.close()))
        await db.destroy()
      },
    }
  }
  const dir = join(opts.dataDir, 'db')
  mkdirSync(dir, { recursive: true })
  if (!existsSync(join(dir, 'PG_VERSION'))) initialiseInChild(dir)
  for (const flag of PGLITE_V8_FLAGS) setFlagsFromString(flag)
  const { PGlite } = await import('@electric-sql/pglite')
  const pglite = await PGlite.create(dir, { parsers: { 20: (v: string) => Number(v) }, postgresqlconf: PGLITE_CONF })
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) })
  return {
    db,
    kind: 'pglite',
    blobLocks: new InProcessBlobLocks(),
    async ping() {
      await pglite.query('SELECT 1')
    },
    listen: () => undefined,
    async close() {
      await db.destroy()
      if (!pglite.closed) await pglite.close()
    },
  }
}
