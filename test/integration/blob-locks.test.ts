// The blob lock protocol (docs/decisions/0009): one conformance suite for both BlobLocks, then
// reclaim() and gc against a real database and blob store.
import { mkdtemp, readdir, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../support/postgres.js'
import { openDatabase, type Database } from '../../src/storage/db/connect.js'
import { migrate } from '../../src/storage/db/migrate.js'
import { createLocalBlobStore } from '../../src/storage/blobs/local-store.js'
import type { BlobStore } from '../../src/storage/blobs/blob-store.js'
import { blobRefs } from '../../src/storage/db/blob-refs.repo.js'
import { catalogStore } from '../../src/storage/db/catalog.repo.js'
import { reclaim } from '../../src/gc/reclaim.js'
import { collectGarbage } from '../../src/gc/collect.js'
import { createLogger } from '../../src/log.js'
import { removeDir } from '../support/server-process.js'
import { dialects } from '../support/dialects.js'

const D1 = 'a'.repeat(64)
const D2 = 'b'.repeat(64)
const settled = async (p: Promise<unknown>, ms = 200) =>
  Promise.race([p.then(() => true), new Promise((r) => setTimeout(() => r(false), ms))])

describe.each(dialects)('%s: blob locks', (dialect) => {
  let database: Database
  let pgdb: TestDatabase | undefined
  let dataDir: string
  let blobs: BlobStore

  async function putBlob(text: string): Promise<string> {
    const w = await blobs.create()
    w.end(Buffer.from(text))
    const b = await w.commit()
    await database.db.insertInto('blobs').values({ sha256: b.sha256, size: b.size, sha384: b.sha384, sha3_384: b.sha3_384 }).execute()
    return b.sha256
  }
  async function reference(sha256: string, name: string): Promise<void> {
    const id = name.padEnd(32, 'x')
    await database.db
      .insertInto('packages')
      .values({ id, namespace: 'charmhub', type: 'charm', name, publisher: 'null', details: '{}' })
      .execute()
    await database.db
      .insertInto('revisions')
      .values({
        package_id: id,
        revision: 1,
        blob_sha256: sha256,
        platforms: '[]',
        metadata_yaml: null,
        config_yaml: null,
        actions_yaml: null,
        manifest_yaml: null,
        bundle_yaml: null,
        readme_md: null,
        snap_yaml: null,
        attributes: '{}',
        extra: '{}',
      })
      .execute()
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'airlock-locks-'))
    if (dialect === 'pg') pgdb = await createTestDatabase()
    database = await openDatabase({ databaseUrl: pgdb?.url, dataDir })
    await migrate(database.db)
    blobs = createLocalBlobStore(dataDir)
  }, 120_000)
  afterAll(async () => {
    await database?.close()
    await pgdb?.drop()
    await removeDir(dataDir)
  })

  it('a shared holder makes a deleter skip; an exclusive holder makes an importer wait', async () => {
    const a = await database.blobLocks.session()
    const b = await database.blobLocks.session()
    try {
      await a.shared(D1)
      await a.shared(D1) // twice is once
      expect(await b.tryExclusive(D1)).toBe(false)
      expect(await b.tryExclusive(D2)).toBe(true)
      const waiting = a.shared(D2)
      expect(await settled(waiting)).toBe(false)
      await b.unlock(D2)
      expect(await settled(waiting, 5000)).toBe(true)
      await a.unlock(D1)
      expect(await b.tryExclusive(D1)).toBe(true)
      await b.unlock(D1)
      // A session's own shared hold does not stop its own exclusive try (a refused import's cleanup).
      await a.shared(D1)
      expect(await a.tryExclusive(D1)).toBe(true)
      expect(await b.tryExclusive(D1)).toBe(false)
    } finally {
      await a.close()
      await b.close()
    }
    const c = await database.blobLocks.session()
    expect(await c.tryExclusive(D1)).toBe(true) // close() released everything
    await c.close()
  })

  it('a transaction holding blobs (holdBlobs) makes a deleter skip until it ends', async () => {
    const deleter = await database.blobLocks.session()
    try {
      let inside!: () => void
      let finish!: () => void
      const entered = new Promise<void>((r) => {
        inside = r
      })
      const done = new Promise<void>((r) => {
        finish = r
      })
      const trx = catalogStore(database.db).transaction(async (w) => {
        await w.holdBlobs([D1])
        inside()
        await done
      })
      await entered
      // The embedded database holds no advisory locks across processes; its in-process table is the
      // session lock, so only PostgreSQL's transaction-level hold is visible to a deleter here.
      if (dialect === 'pg') expect(await deleter.tryExclusive(D1)).toBe(false)
      finish()
      await trx
      expect(await deleter.tryExclusive(D1)).toBe(true)
    } finally {
      await deleter.close()
    }
  })

  it('reclaim deletes an unreferenced blob and its row, skips a held one, keeps a referenced one', async () => {
    const refs = blobRefs(database.db)
    const free = await putBlob('free')
    const held = await putBlob('held')
    const used = await putBlob('used')
    await reference(used, 'usedcharm')
    const importer = await database.blobLocks.session()
    const gc = await database.blobLocks.session()
    try {
      await importer.shared(held)
      expect(await reclaim(free, { session: gc, refs, blobs })).toEqual({ freed: 4 })
      expect(await reclaim(held, { session: gc, refs, blobs })).toBe('held')
      expect(await reclaim(used, { session: gc, refs, blobs })).toBe('referenced')
      expect(await blobs.stat(free)).toBeUndefined()
      expect(await blobs.stat(held)).toEqual({ size: 4 })
      expect(await blobs.stat(used)).toEqual({ size: 4 })
      expect([...(await refs.withRows([free, held, used]))].sort()).toEqual([held, used].sort())
    } finally {
      await importer.close()
      await gc.close()
    }
  })

  it('gc frees unreferenced rows, files without rows and stale temp files; a dry run only counts', async () => {
    const orphanRow = await putBlob('orphan row')
    const w = await blobs.create()
    w.end(Buffer.from('orphan file'))
    const orphanFile = (await w.commit()).sha256
    await writeFile(join(dataDir, 'tmp', 'blob-stale'), 'x'.repeat(10))
    const old = new Date(Date.now() - 2 * 3600 * 1000)
    await utimes(join(dataDir, 'tmp', 'blob-stale'), old, old)
    await writeFile(join(dataDir, 'tmp', 'blob-fresh'), 'y')
    const deps = { blobs, refs: blobRefs(database.db), locks: database.blobLocks, log: createLogger('silent') }

    const dry = await collectGarbage(deps, { dryRun: true, tempOlderThanMs: 3600 * 1000 })
    expect(dry).toMatchObject({ dryRun: true, tempFiles: 1, tempBytes: 10 })
    expect(dry.blobs).toBeGreaterThanOrEqual(2)
    expect(await blobs.stat(orphanRow)).toBeDefined()

    const done = await collectGarbage(deps, { tempOlderThanMs: 3600 * 1000 })
    expect(done).toMatchObject({ dryRun: false, blobs: dry.blobs, bytes: dry.bytes, tempFiles: 1, skipped: 0 })
    expect(await blobs.stat(orphanRow)).toBeUndefined()
    expect(await blobs.stat(orphanFile)).toBeUndefined()
    expect(await readdir(join(dataDir, 'tmp'))).toEqual(['blob-fresh'])
    // Referenced blobs stay.
    const rows = await database.db.selectFrom('revisions').select('blob_sha256').execute()
    for (const r of rows) expect(await blobs.stat(r.blob_sha256)).toBeDefined()
    expect(await collectGarbage(deps, { tempOlderThanMs: 3600 * 1000 })).toMatchObject({ blobs: 0, tempFiles: 0 })
  })
})
