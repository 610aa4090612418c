// The embedded database's kysely dialect (src/storage/db/pglite-dialect.ts) on a real PGlite data
// directory: a transaction is all or nothing, and work outside it waits instead of joining it.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type Database } from '../../src/storage/db/connect.js'
import { removeDir } from '../support/server-process.js'

let database: Database
let dir: string
const count = async () => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM t`.execute(database.db)).rows[0]!.n)

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-pglite-dialect-'))
  database = await openDatabase({ dataDir: dir })
  await sql`CREATE TABLE t (v int PRIMARY KEY)`.execute(database.db)
})
afterAll(async () => {
  await database?.close()
  if (dir) await removeDir(dir)
})

describe('PGlite dialect', () => {
  it('commits a transaction, and rolls back a failed one entirely', async () => {
    await database.db.transaction().execute(async (trx) => {
      await sql`INSERT INTO t VALUES (1)`.execute(trx)
      await sql`INSERT INTO t VALUES (2)`.execute(trx)
    })
    expect(await count()).toBe(2)
    await expect(
      database.db.transaction().execute(async (trx) => {
        await sql`INSERT INTO t VALUES (3)`.execute(trx)
        await sql`INSERT INTO t VALUES (1)`.execute(trx) // duplicate key
      }),
    ).rejects.toThrow(/duplicate key/)
    expect(await count()).toBe(2)
  })

  it('runs queries outside a transaction after it, not inside it', async () => {
    let release!: () => void
    const held = new Promise<void>((r) => {
      release = r
    })
    const tx = database.db.transaction().execute(async (trx) => {
      await sql`INSERT INTO t VALUES (10)`.execute(trx)
      await held
      throw new Error('roll back')
    })
    // Issued while the transaction is open: it must neither see row 10 nor end up in the rollback.
    const outside = (async () => {
      await sql`INSERT INTO t VALUES (20)`.execute(database.db)
      return count()
    })()
    const ping = database.ping()
    await new Promise((r) => setTimeout(r, 50))
    release()
    await expect(tx).rejects.toThrow('roll back')
    await ping
    expect(await outside).toBe(3)
    const rows = await sql<{ v: number }>`SELECT v FROM t ORDER BY v`.execute(database.db)
    expect(rows.rows.map((r) => r.v)).toEqual([1, 2, 20])
  })

  it('reports affected rows', async () => {
    const r = await database.db.executeQuery(sql`UPDATE t SET v = v + 100 WHERE v < 3`.compile(database.db))
    expect(r.numAffectedRows).toBe(2n)
  })
})
