// kill -9 at any point of a push leaves the store exactly as before or exactly as after, once the
// server has started again: the real server process, killed by SIGKILL at named crash points
// (AIRLOCK_TEST_CRASH_AT, src/crash-points.ts) and at byte offsets of the upload, restarted on the
// same data dir and database. Then a re-push succeeds and gives the "after" state.
import { cp, mkdtemp, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCharmExport, writeFixture, type ExportCharm } from '../support/charm-builder.js'
import { createTestDatabase, type TestDatabase } from '../support/postgres.js'
import { removeDir, runCli, startServer } from '../support/server-process.js'
import { cloneDatabase, storeSnapshot } from '../support/store-snapshot.js'
import { dialects } from '../support/dialects.js'

/** Deterministic bytes that do not compress, so the upload is as large as the resource. */
function noise(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n)
  let x = seed >>> 0
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0
    b[i] = x >>> 24
  }
  return b
}

// Points of the good push, in the order it passes them; `#N` is the Nth pass.
const POINTS = [
  'upload-start',
  'blob-write',
  'blob-write#4',
  'blob-hashed',
  'blob-before-rename',
  'blob-after-rename',
  'blob-after-rename#3',
  'before-commit',
  'commit-begin',
  'commit-end',
  'after-commit',
  'upload-bytes:1',
  'upload-bytes:150000',
  'upload-bytes:420000',
]

interface Store {
  dataDir: string
  db?: { url: string; drop(): Promise<void> } | undefined
}

describe.each(dialects)('%s: kill -9 during a push', (dialect) => {
  let fixtures: string
  let base: Store
  let exportA: string
  let exportB: string
  let refusedB: string
  let before: string
  let after: string
  const stores: Store[] = []
  let pgBase: TestDatabase | undefined

  async function copyOf(s: Store): Promise<Store> {
    const dataDir = await mkdtemp(join(tmpdir(), 'airlock-crash-'))
    await cp(s.dataDir, dataDir, { recursive: true })
    const db = s.db ? await cloneDatabase(s.db.url) : undefined
    const out = { dataDir, db }
    stores.push(out)
    return out
  }
  const snapshot = (s: Store) => storeSnapshot({ dataDir: s.dataDir, databaseUrl: s.db?.url })

  async function push(s: Store, file: string, env: Record<string, string> = {}) {
    const server = await startServer({ dataDir: s.dataDir, databaseUrl: s.db?.url, env })
    const r = await runCli(['push-charms', file, '--url', server.url, '--data-dir', s.dataDir])
    // A process killed by a signal has no exit code, and stop() would wait for an exit long gone.
    const code = server.proc.signalCode ? null : await server.stop()
    return { cli: r, code, signal: server.proc.signalCode }
  }

  /** Starts the server (the start-up sweep runs) and stops it cleanly. */
  async function restart(s: Store): Promise<void> {
    const server = await startServer({ dataDir: s.dataDir, databaseUrl: s.db?.url })
    expect(await server.stop()).toBe(0)
  }

  beforeAll(async () => {
    fixtures = await mkdtemp(join(tmpdir(), 'airlock-crash-fixtures-'))
    exportA = await writeFixture(
      fixtures,
      'a.tar.gz',
      await buildCharmExport({
        charms: [
          { name: 'postgresql', revision: 12 },
          { name: 'pgbouncer', revision: 3 },
        ],
      }),
    )
    // Overlaps A (postgresql 12, same bytes) and adds charms and resources spread over the upload.
    const charmsB: ExportCharm[] = [
      { name: 'postgresql', revision: 12 },
      {
        name: 'redis',
        revision: 5,
        resources: { data: { type: 'file' as const, filename: 'data.bin' } },
        resourceFiles: { data: { revision: 1, body: noise(300_000, 1) } },
      },
      {
        name: 'nginx',
        revision: 2,
        resources: { site: { type: 'file' as const, filename: 'site.bin' } },
        resourceFiles: { site: { revision: 4, body: noise(200_000, 2) } },
      },
    ]
    exportB = await writeFixture(fixtures, 'b.tar.gz', await buildCharmExport({ charms: charmsB }))
    // B with a conflicting postgresql 12 at the end: refused after its other blobs were written.
    refusedB = await writeFixture(
      fixtures,
      'b-refused.tar.gz',
      await buildCharmExport({
        charms: [...charmsB.slice(1), { name: 'postgresql', revision: 12, summary: 'different bytes' }],
      }),
    )

    if (dialect === 'pg') pgBase = await createTestDatabase()
    base = { dataDir: await mkdtemp(join(tmpdir(), 'airlock-crash-base-')), db: pgBase }
    // The embedded database's first initialisation can outlast startServer's wait on a busy machine.
    const m = await runCli(['migrate', '--data-dir', base.dataDir, ...(pgBase ? ['--database-url', pgBase.url] : [])])
    expect(m.code, m.stderr).toBe(0)
    const a = await push(base, exportA)
    expect(a.cli.code, a.cli.stderr).toBe(0)
    before = await snapshot(base)
    const done = await copyOf(base)
    const b = await push(done, exportB)
    expect(b.cli.code, b.cli.stderr).toBe(0)
    after = await snapshot(done)
    expect(after).not.toBe(before)
  }, 600_000)

  afterAll(async () => {
    for (const s of stores) {
      await s.db?.drop().catch(() => {})
      await removeDir(s.dataDir)
    }
    await pgBase?.drop()
    if (base) await removeDir(base.dataDir)
    if (fixtures) await removeDir(fixtures)
  })

  it.each(POINTS)(
    'killed at %s: before or after, then a re-push succeeds',
    async (point) => {
      const s = await copyOf(base)
      const crashed = await push(s, exportB, { AIRLOCK_TEST_CRASH_AT: point })
      expect(crashed.signal, `the server was not killed at ${point}`).toBe('SIGKILL')
      expect(crashed.cli.code).toBe(1)
      expect(crashed.cli.stderr).not.toMatch(/\n\s+at /) // one line, no stack trace

      await restart(s)
      const state = await snapshot(s)
      expect([before, after]).toContain(state)
      if (dialect === 'pglite') expect(await readdir(join(s.dataDir, 'tmp')).catch(() => [])).toEqual([])

      const again = await push(s, exportB)
      expect(again.cli.code, again.cli.stderr).toBe(0)
      expect(await snapshot(s)).toBe(after)
    },
    300_000,
  )

  it('killed while a refused push cleans up its blobs: the store is as before', async () => {
    const s = await copyOf(base)
    const crashed = await push(s, refusedB, { AIRLOCK_TEST_CRASH_AT: 'reclaim-row-deleted' })
    expect(crashed.signal).toBe('SIGKILL')
    await restart(s)
    expect(await snapshot(s)).toBe(before)
  }, 300_000)
})
