// cursorRows (src/storage/db/cursor-rows.ts): a query's rows in batches through a server-side
// cursor, on PGlite and PostgreSQL: every row once and in order, parameters, one snapshot for the
// whole read, and a cursor closed whenever the caller stops early.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql, type Kysely } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type Database } from '../../src/storage/db/connect.js'
import { cursorRows } from '../../src/storage/db/cursor-rows.js'
import { createTestDatabase, type TestDatabase } from '../support/postgres.js'
import { removeDir } from '../support/server-process.js'
import { dialects } from '../support/dialects.js'

interface T {
  cursor_test: { n: number }
}

// Ours only: PGlite's own protocol portals show up in pg_cursors too.
const openCursors = async (trx: Kysely<any>): Promise<number> =>
  Number((await sql<{ n: string }>`SELECT count(*) AS n FROM pg_cursors WHERE name LIKE 'airlock_cursor_%'`.execute(trx)).rows[0]!.n)

describe.each(dialects)('%s: cursorRows', (dialect) => {
  let database: Database
  let db: Kysely<T>
  let dir: string
  let pgdb: TestDatabase | undefined

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-cursor-'))
    if (dialect === 'pg') pgdb = await createTestDatabase()
    database = await openDatabase({ databaseUrl: pgdb?.url, dataDir: dir })
    db = database.db as unknown as Kysely<T>
    await sql`CREATE TABLE cursor_test (n integer PRIMARY KEY)`.execute(db)
    await sql`INSERT INTO cursor_test SELECT g FROM generate_series(1, 25) g`.execute(db)
  })
  afterAll(async () => {
    await database?.close()
    await pgdb?.drop()
    await removeDir(dir)
  })

  const all = (d: Kysely<T>) => d.selectFrom('cursor_test').select('n').orderBy('n')

  it('yields every row once, in order, in batches of the size asked for', async () => {
    const sizes: number[] = []
    const seen: number[] = []
    await db.transaction().execute(async (trx) => {
      for await (const rows of cursorRows(trx, all(trx), 10)) {
        sizes.push(rows.length)
        seen.push(...rows.map((r) => r.n))
      }
      expect(await openCursors(trx)).toBe(0)
    })
    expect(sizes).toEqual([10, 10, 5])
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i + 1))
  })

  it('ends without an empty batch when the rows fill the last one exactly, and yields nothing for no rows', async () => {
    await db.transaction().execute(async (trx) => {
      const sizes: number[] = []
      for await (const rows of cursorRows(trx, all(trx), 5)) sizes.push(rows.length)
      expect(sizes).toEqual([5, 5, 5, 5, 5])
      let none = 0
      for await (const rows of cursorRows(trx, all(trx).where('n', '>', 100), 5)) none += rows.length
      expect(none).toBe(0)
    })
  })

  it('passes the query parameters through', async () => {
    await db.transaction().execute(async (trx) => {
      const seen: number[] = []
      for await (const rows of cursorRows(trx, all(trx).where('n', 'in', [3, 7, 21]).where('n', '>', 5), 1))
        seen.push(...rows.map((r) => r.n))
      expect(seen).toEqual([7, 21])
    })
  })

  it('closes the cursor when the caller stops early, by break or by throwing, and the transaction goes on', async () => {
    await db.transaction().execute(async (trx) => {
      for await (const rows of cursorRows(trx, all(trx), 10)) {
        expect(rows).toHaveLength(10)
        expect(await openCursors(trx)).toBe(1)
        break
      }
      expect(await openCursors(trx)).toBe(0)
      await expect(
        (async () => {
          for await (const _ of cursorRows(trx, all(trx), 10)) throw new Error('caller failed')
        })(),
      ).rejects.toThrow('caller failed')
      expect(await openCursors(trx)).toBe(0)
      const n = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM cursor_test`.execute(trx)).rows[0]!.n
      expect(n).toBe(25)
    })
  })

  it('fails plainly outside a transaction', async () => {
    await expect(cursorRows(db, all(db)).next()).rejects.toThrow(/needs a transaction/)
  })

  it('surfaces a failing query', async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        for await (const _ of cursorRows(trx, trx.selectFrom('cursor_test').select(sql<number>`1 / (n - 12)`.as('x')), 5)) {
          // the third batch divides by zero
        }
      }),
    ).rejects.toThrow(/division by zero/)
  })

  it.runIf(dialect === 'pg')('reads one snapshot: rows committed meanwhile by another connection are not seen', async () => {
    const other = new pg.Client({ connectionString: pgdb!.url })
    await other.connect()
    try {
      const seen: number[] = []
      await db
        .transaction()
        .setIsolationLevel('repeatable read')
        .execute(async (trx) => {
          // The snapshot is taken at the transaction's first statement.
          await sql`SELECT 1`.execute(trx)
          await other.query('INSERT INTO cursor_test VALUES (100)')
          let first = true
          for await (const rows of cursorRows(trx, all(trx), 10)) {
            if (first) await other.query('INSERT INTO cursor_test VALUES (101)')
            first = false
            seen.push(...rows.map((r) => r.n))
          }
        })
      expect(seen).toHaveLength(25)
      expect(seen).not.toContain(100)
      expect(seen).not.toContain(101)
    } finally {
      await other.query('DELETE FROM cursor_test WHERE n >= 100')
      await other.end()
    }
  })
})
