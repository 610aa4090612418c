// A fresh PostgreSQL database per test file: DATABASE_URL's server (or 127.0.0.1:5432 as CI has),
// else a testcontainers PostgreSQL where a Docker engine exists, else the pg half is skipped with
// the reason printed.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import pg from 'pg'

const ADMIN_URL = process.env.AIRLOCK_TEST_PG_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

export interface TestDatabase {
  url: string
  drop(): Promise<void>
}

let serverUrl: Promise<string | undefined> | undefined
let skipReason = ''

async function probe(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 })
  try {
    await c.connect()
    await c.query('SELECT 1')
    return true
  } catch {
    return false
  } finally {
    await c.end().catch(() => {})
  }
}

async function findServer(): Promise<string | undefined> {
  if (await probe(ADMIN_URL)) return ADMIN_URL
  if (existsSync('/var/run/docker.sock')) {
    try {
      const { PostgreSqlContainer } = await import('@testcontainers/postgresql')
      const c = await new PostgreSqlContainer('postgres:15-alpine').start()
      return c.getConnectionUri()
    } catch (err) {
      skipReason = `no PostgreSQL at ${ADMIN_URL} and testcontainers failed: ${(err as Error).message}`
      return undefined
    }
  }
  skipReason = `no PostgreSQL at ${ADMIN_URL} and no Docker engine for testcontainers`
  return undefined
}

export async function postgresAvailable(): Promise<{ ok: true } | { ok: false; reason: string }> {
  serverUrl ??= findServer()
  const url = await serverUrl
  return url ? { ok: true } : { ok: false, reason: skipReason }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  serverUrl ??= findServer()
  const base = await serverUrl
  if (!base) throw new Error(skipReason)
  const name = `airlock_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: base })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const u = new URL(base)
  u.pathname = `/${name}`
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base })
      await c.connect()
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {})
      await c.end()
    },
  }
}
