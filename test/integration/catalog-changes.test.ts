// The change log of migration 0002 and the read model following it: triggers record every write to
// the tables the read model loads (whoever writes: here plain SQL), loads read one snapshot, and a
// load after a cursor finds exactly what that snapshot did not see, even when transactions commit
// out of order. PGlite and PostgreSQL alike; what needs two connections is PostgreSQL only.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type Database } from '../../src/storage/db/connect.js'
import { migrate } from '../../src/storage/db/migrate.js'
import { catalogReader } from '../../src/storage/db/index-loader.js'
import { listenForChanges } from '../../src/storage/db/change-listener.js'
import { CatalogView } from '../../src/catalog/catalog-view.js'
import { createTestDatabase, type TestDatabase } from '../support/postgres.js'
import { removeDir } from '../support/server-process.js'
import { dialects } from '../support/dialects.js'

const id = (n: number): string => `pkg${String(n).padStart(29, '0')}`
const SHA = 'a'.repeat(64)

async function addPackage(db: Database['db'], n: number, name = `p${n}`): Promise<void> {
  await sql`INSERT INTO packages (id, namespace, type, name) VALUES (${id(n)}, 'charmhub', 'charm', ${name})`.execute(db)
}

async function addRevision(db: Database['db'], n: number, revision: number): Promise<void> {
  await sql`INSERT INTO blobs (sha256, size, sha384, sha3_384) VALUES (${SHA}, 1, 'x', 'y') ON CONFLICT DO NOTHING`.execute(db)
  await sql`INSERT INTO revisions (package_id, revision, blob_sha256, platforms) VALUES (${id(n)}, ${revision}, ${SHA}, '[]')`.execute(db)
  await sql`INSERT INTO channel_releases (package_id, track, risk, architecture, revision) VALUES (${id(n)}, 'latest', 'stable', 'amd64', ${revision})
    ON CONFLICT (package_id, track, risk, branch, base_name, base_channel, architecture) DO UPDATE SET revision = ${revision}`.execute(db)
}

async function changes(db: Database['db']): Promise<string[]> {
  return (await sql<{ package_id: string }>`SELECT package_id FROM catalog_changes ORDER BY seq`.execute(db)).rows.map((r) => r.package_id)
}

describe.each(dialects)('%s: catalog change log', (dialect) => {
  let database: Database
  let dir: string
  let pgdb: TestDatabase | undefined

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-changes-'))
    if (dialect === 'pg') pgdb = await createTestDatabase()
    database = await openDatabase({ databaseUrl: pgdb?.url, dataDir: dir })
    await migrate(database.db)
  })
  afterAll(async () => {
    await database?.close()
    await pgdb?.drop()
    await removeDir(dir)
  })

  it('records the package of every insert, update and delete on the tracked tables', async () => {
    const db = database.db
    await sql`DELETE FROM catalog_changes`.execute(db)
    await addPackage(db, 1)
    await addRevision(db, 1, 1)
    await sql`INSERT INTO resources (package_id, name, type) VALUES (${id(1)}, 'r', 'file')`.execute(db)
    await sql`INSERT INTO resource_revisions (package_id, name, revision, type, blob_sha256) VALUES (${id(1)}, 'r', 1, 'file', ${SHA})`.execute(
      db,
    )
    await sql`INSERT INTO revision_resources (package_id, revision, resource_name, resource_revision) VALUES (${id(1)}, 1, 'r', 1)`.execute(
      db,
    )
    await sql`INSERT INTO release_history (package_id, track, risk, architecture, revision) VALUES (${id(1)}, 'latest', 'stable', 'amd64', 1)`.execute(
      db,
    )
    await sql`UPDATE packages SET summary = 'changed' WHERE id = ${id(1)}`.execute(db)
    expect(await changes(db)).toEqual(Array(8).fill(id(1)))
    await sql`DELETE FROM catalog_changes`.execute(db)
    // A cascade fires the triggers of every row it deletes.
    await sql`DELETE FROM packages WHERE id = ${id(1)}`.execute(db)
    const after = await changes(db)
    expect(after.length).toBeGreaterThanOrEqual(7)
    expect(new Set(after)).toEqual(new Set([id(1)]))
    // Rolled back: nothing recorded.
    await db
      .transaction()
      .execute(async (trx) => {
        await addPackage(trx, 2)
        throw new Error('roll back')
      })
      .catch(() => undefined)
    expect(await changes(db)).toEqual(after)
  })

  it('loads everything, then only what changed since the last snapshot (removals included)', async () => {
    const db = database.db
    const reader = catalogReader(db)
    await addPackage(db, 10)
    await addRevision(db, 10, 1)
    await addPackage(db, 11)
    const first = await reader.load()
    expect(first.full).toBe(true)
    expect(first.packages.map((p) => p.id)).toEqual(expect.arrayContaining([id(10), id(11)]))

    const none = await reader.load(first.cursor)
    expect(none).toMatchObject({ full: false, changed: [], packages: [] })

    await addRevision(db, 10, 2)
    await sql`DELETE FROM packages WHERE id = ${id(11)}`.execute(db)
    const delta = await reader.load(none.cursor)
    expect(delta.full).toBe(false)
    expect([...delta.changed].sort()).toEqual([id(10), id(11)])
    expect(delta.packages.map((p) => p.id)).toEqual([id(10)])
    expect(delta.packages[0]!.releases[0]!.revision).toBe(2)

    const view = new CatalogView(reader)
    await view.loadAll()
    expect(view.index.byPackageId(id(10))?.revisions.size).toBe(2)
    await sql`DELETE FROM channel_releases WHERE package_id = ${id(10)}`.execute(db)
    await sql`DELETE FROM revisions WHERE package_id = ${id(10)} AND revision = 2`.execute(db)
    await view.refresh()
    expect(view.index.byPackageId(id(10))?.revisions.size).toBe(1)
    expect(view.index.byPackageId(id(10))?.releases).toEqual([])
    await sql`DELETE FROM packages WHERE id = ${id(10)}`.execute(db)
    await view.refresh()
    expect(view.index.byPackageId(id(10))).toBeUndefined()
  })

  it('reloads everything when the cursor is older than the change log reaches, and prunes old rows', async () => {
    const db = database.db
    const reader = catalogReader(db, { changeWindowMs: 60_000 })
    await addPackage(db, 20)
    const first = await reader.load()
    const stale = await reader.load({ ...first.cursor, at: first.cursor.at - 31_000 })
    expect(stale.full).toBe(true)
    await sql`UPDATE catalog_changes SET changed_at = now() - interval '2 minutes' WHERE package_id = ${id(20)}`.execute(db)
    expect(await reader.pruneChanges()).toBeGreaterThan(0)
    expect(await changes(db)).not.toContain(id(20))
  })

  it('coalesces a burst of refreshes into at most two loads, each caller seeing changes made before its call', async () => {
    const db = database.db
    const inner = catalogReader(db)
    let loads = 0
    const view = new CatalogView({
      ...inner,
      load: (c) => {
        loads++
        return inner.load(c)
      },
    })
    await view.loadAll()
    loads = 0
    await addPackage(db, 30)
    const burst = Array.from({ length: 20 }, () => view.refresh())
    await Promise.all(burst)
    expect(loads).toBeLessThanOrEqual(2)
    expect(view.index.byPackageId(id(30))).toBeDefined()
  })

  it('polls as the fallback: picks up a change with no announcement, reports failing once and recovering once', async () => {
    const db = database.db
    const inner = catalogReader(db)
    let broken = false
    const view = new CatalogView({ ...inner, load: (c) => (broken ? Promise.reject(new Error('connect ECONNREFUSED')) : inner.load(c)) })
    await view.loadAll()
    const events: string[] = []
    view.startWatching({ pollMs: 50, onFailing: () => events.push('failing'), onRecovered: () => events.push('recovered') })
    try {
      await addPackage(db, 60)
      await expect.poll(() => view.index.byPackageId(id(60)), { timeout: 5000 }).toBeDefined()
      broken = true
      // Once a poll has failed, every load after it fails: none can pick up the next change.
      await expect.poll(() => events, { timeout: 5000 }).toEqual(['failing'])
      await addPackage(db, 61)
      await new Promise((r) => setTimeout(r, 300))
      expect(view.index.byPackageId(id(61))).toBeUndefined()
      broken = false
      await expect.poll(() => view.index.byPackageId(id(61)), { timeout: 5000 }).toBeDefined()
      await expect.poll(() => events, { timeout: 5000 }).toEqual(['failing', 'recovered'])
    } finally {
      view.stop()
    }
  })

  it('keeps revision texts within a byte budget, least recently used out first, and drops those of removed revisions', async () => {
    const db = database.db
    for (const n of [70, 71, 72]) {
      await addPackage(db, n)
      await addRevision(db, n, 1)
    }
    await sql`UPDATE revisions SET metadata_yaml = repeat('x', 1000) WHERE package_id IN (${id(70)}, ${id(71)}, ${id(72)})`.execute(db)
    const inner = catalogReader(db)
    const reads: string[] = []
    // Room for two texts of ~2 KB (two bytes per UTF-16 unit) and change, not three.
    const view = new CatalogView(
      {
        ...inner,
        revisionTexts: (p, r) => {
          reads.push(p)
          return inner.revisionTexts(p, r)
        },
      },
      4500,
    )
    await view.loadAll()
    for (const n of [70, 71, 70, 72]) expect((await view.revisionTexts(id(n), 1))?.metadataYaml).toHaveLength(1000)
    expect(reads).toEqual([id(70), id(71), id(72)]) // 70 was kept, and used again: 71 went for 72
    await view.revisionTexts(id(70), 1)
    await view.revisionTexts(id(71), 1)
    expect(reads).toEqual([id(70), id(71), id(72), id(71)])
    await sql`DELETE FROM packages WHERE id = ${id(70)}`.execute(db)
    await view.refresh()
    expect(await view.revisionTexts(id(70), 1)).toBeUndefined()
  })

  // Declared for PostgreSQL alone (not skipped on PGlite): only it has other sessions and LISTEN.
  if (dialect === 'pg')
    it('finds a change committed after a later one was loaded (sequence order is not commit order)', async () => {
      const db = database.db
      const reader = catalogReader(db)
      const base = await reader.load()
      const slow = new pg.Client({ connectionString: pgdb!.url })
      await slow.connect()
      try {
        await slow.query('BEGIN')
        await slow.query(`INSERT INTO packages (id, namespace, type, name) VALUES ('${id(40)}', 'charmhub', 'charm', 'slow')`)
        await addPackage(db, 41, 'fast') // a higher sequence number, committed first
        const mid = await reader.load(base.cursor)
        expect(mid.changed).toEqual([id(41)])
        await slow.query('COMMIT')
        const late = await reader.load(mid.cursor)
        expect(late.changed).toEqual([id(40)])
        expect(late.packages.map((p) => p.name)).toEqual(['slow'])
        expect((await reader.load(late.cursor)).changed).toEqual([])
      } finally {
        await slow.end()
      }
    })

  // Declared for PostgreSQL alone (not skipped on PGlite): only it has other sessions and LISTEN.
  if (dialect === 'pg')
    it('announces a commit on the LISTEN connection (not a rollback), and listens again after the connection is killed', async () => {
      const db = database.db
      const got: string[] = []
      let listening = 0
      const l = listenForChanges(
        pgdb!.url,
        {
          onChange: (p) => got.push(p),
          onListening: () => {
            listening++
          },
        },
        { maxBackoffMs: 200 },
      )
      try {
        await expect.poll(() => listening, { timeout: 5000 }).toBe(1)
        await db
          .transaction()
          .execute(async (trx) => {
            await addPackage(trx, 50)
            throw new Error('roll back')
          })
          .catch(() => undefined)
        await addPackage(db, 51)
        await expect.poll(() => got, { timeout: 5000 }).toEqual([id(51)])
        await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN airlock_catalog' AND pid <> pg_backend_pid()`.execute(
          db,
        )
        await expect.poll(() => listening, { timeout: 10_000 }).toBe(2)
        await addPackage(db, 52)
        await expect.poll(() => got, { timeout: 5000 }).toEqual([id(51), id(52)])
      } finally {
        await l.close()
      }
    })
})
