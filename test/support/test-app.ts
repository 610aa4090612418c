// The whole app in-process (buildApp + real database + real blob store in a temp dir), for
// integration tests through app.inject(). dump() fingerprints everything an import could touch.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config/load.js'
import { openDatabase, type Database } from '../../src/storage/db/connect.js'
import { migrate } from '../../src/storage/db/migrate.js'
import { createBlobStore } from '../../src/storage/blobs/content-store.js'
import type { StorageDriver } from '../../src/storage/blobs/driver.js'
import { createFsDriver } from '../../src/storage/blobs/fs-driver.js'
import { createToken, loadSigningKey } from '../../src/admin/tokens.js'
import { createLogger } from '../../src/log.js'
import { createTestDatabase, type TestDatabase } from './postgres.js'
import { fileTree } from './store-snapshot.js'

export type Dialect = 'pglite' | 'pg'

export interface TestApp {
  app: FastifyInstance
  database: Database
  dataDir: string
  token: string
  /** Multipart upload of `data` as `filename` to an admin path. */
  push(path: string, filename: string, data: Buffer): Promise<{ status: number; body: any }>
  dump(): Promise<string>
  close(): Promise<void>
}

const TABLES = [
  'blobs',
  'packages',
  'revisions',
  'resources',
  'resource_revisions',
  'revision_resources',
  'channel_releases',
  'release_history',
  'assertions',
  'package_assertions',
  'audit_log',
]

export interface TestAppOptions {
  /** The storage driver under the blob store, given the data dir; default the filesystem driver there. */
  readonly driver?: (dataDir: string) => StorageDriver
}

export async function createTestApp(
  dialect: Dialect,
  overrides: Record<string, unknown> = {},
  opts: TestAppOptions = {},
): Promise<TestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'airlock-test-'))
  let pgdb: TestDatabase | undefined
  if (dialect === 'pg') pgdb = await createTestDatabase()
  const config = loadConfig({ env: {}, flags: { dataDir, databaseUrl: pgdb?.url, ...overrides } })
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir })
  await migrate(database.db)
  const signingKey = loadSigningKey(dataDir, true)
  const token = await createToken(signingKey, { ttlSeconds: 3600 })
  const driver = (opts.driver ?? createFsDriver)(dataDir)
  const blobs = createBlobStore(driver, { scratchDir: join(dataDir, 'tmp') })
  const app = await buildApp({ config, database, blobs, signingKey, logger: createLogger('silent') })
  await app.ready()
  return {
    app,
    database,
    dataDir,
    token,
    async push(path, filename, data) {
      const boundary = 'testboundary123'
      const payload = Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
        ),
        data,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ])
      const res = await app.inject({
        method: 'POST',
        url: path,
        payload,
        headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
      })
      return { status: res.statusCode, body: res.json() }
    },
    async dump() {
      const parts: string[] = []
      for (const t of TABLES) {
        const rows = await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(t)}`.execute(database.db)
        const lines = rows.rows
          .map((r) => JSON.stringify(r, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v)))
          .sort()
        parts.push(`## ${t}`, ...lines)
      }
      parts.push('## blobs/', ...(await fileTree(join(dataDir, 'blobs'))))
      parts.push('## tmp/', ...(await fileTree(join(dataDir, 'tmp'))))
      return parts.join('\n')
    },
    async close() {
      await app.close()
      await database.close()
      await pgdb?.drop()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}
