// Operational behaviour: health when the database goes away, migrations from several replicas at
// once, and `airlock migrate`.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createTestApp } from '../support/test-app.js'
import { createTestDatabase, postgresAvailable } from '../support/postgres.js'
import { removeDir, runCli, startServer } from '../support/server-process.js'

const pgState = await postgresAvailable()

describe('health', () => {
  it('answers 200 while the database answers, 503 with Retry-After when it does not', async () => {
    const t = await createTestApp('pglite')
    const ok = await t.app.inject({ url: '/_status/check' })
    expect(ok.statusCode).toBe(200)
    expect(ok.json()).toMatchObject({ status: 'ok', database: 'pglite' })
    await t.database.close()
    const down = await t.app.inject({ url: '/_status/check' })
    expect(down.statusCode).toBe(503)
    expect(down.headers['retry-after']).toBe('5')
    await t.app.close()
  })
})

describe.skipIf(!pgState.ok)('PostgreSQL replicas', () => {
  it('two servers starting at once on one fresh database both migrate and serve', async () => {
    const db = await createTestDatabase()
    try {
      const [a, b] = await Promise.all([startServer({ databaseUrl: db.url }), startServer({ databaseUrl: db.url })])
      try {
        for (const s of [a, b]) expect((await fetch(`${s.url}/_status/check`)).status).toBe(200)
      } finally {
        await Promise.all([a.stop(), b.stop()])
        await Promise.all([removeDir(a.dataDir), removeDir(b.dataDir)])
      }
    } finally {
      await db.drop()
    }
  })

  it('airlock migrate applies the migrations once, then reports up to date', async () => {
    const db = await createTestDatabase()
    const dir = await mkdtemp(join(tmpdir(), 'airlock-migrate-'))
    try {
      const first = await runCli(['migrate', '--database-url', db.url, '--data-dir', dir])
      expect(first.code, first.stderr).toBe(0)
      expect(first.stdout).toMatch(/applied: 0001_catalog/)
      const again = await runCli(['migrate', '--database-url', db.url, '--data-dir', dir])
      expect(again.stdout).toMatch(/up to date/)
    } finally {
      await db.drop()
      await removeDir(dir)
    }
  })
})
