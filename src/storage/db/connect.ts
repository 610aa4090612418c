// Opens the catalog database: PostgreSQL through pg when a URL is given, else embedded PGlite
// under <data-dir>/db. Both speak the same SQL and run the same migrations.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { DB } from './database.js'

export interface Database {
  readonly db: Kysely<DB>
  readonly kind: 'pg' | 'pglite'
  /** Cheap liveness probe for the health check; rejects when the database does not answer. */
  ping(): Promise<void>
  close(): Promise<void>
}

// bigint (int8) columns such as blob sizes come back as strings by default; sizes stay below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v))

export async function openDatabase(opts: { databaseUrl?: string | undefined; dataDir: string }): Promise<Database> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10, connectionTimeoutMillis: 5000 })
    pool.on('error', () => { /* idle client errors surface on the next query */ })
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
    return {
      db, kind: 'pg',
      async ping() { await pool.query('SELECT 1') },
      async close() { await db.destroy() },
    }
  }
  const dir = join(opts.dataDir, 'db')
  mkdirSync(dir, { recursive: true })
  const { PGlite } = await import('@electric-sql/pglite')
  const pglite = await PGlite.create(dir, { parsers: { 20: (v: string) => Number(v) } })
  const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) })
  return {
    db, kind: 'pglite',
    async ping() { await pglite.query('SELECT 1') },
    async close() { await db.destroy(); if (!pglite.closed) await pglite.close() },
  }
}
