// Two real `airlock serve` processes on one PostgreSQL database and one data dir: overlapping
// pushes (same charms, some refused) at the same moment on both, while gc runs in a loop on one and
// finds, each round, orphan copies of blobs the pushes are about to reuse. No 500s, no row pointing
// at a missing or wrong blob, and both replicas list the same store.
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCharm, buildCharmExport, writeFixture, type ExportCharm } from '../support/charm-builder.js'
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/postgres.js'
import { removeDir, runCli, startServer, type RunningServer } from '../support/server-process.js'

const pgState = await postgresAvailable()
if (!pgState.ok) console.warn(`skipping: ${pgState.reason}`)
const ROUNDS = 4

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')

describe.skipIf(!pgState.ok)('two replicas on one PostgreSQL and one data dir', () => {
  let pgdb: TestDatabase
  let dataDir: string
  let fixtures: string
  let x: RunningServer
  let y: RunningServer
  let token: string

  beforeAll(async () => {
    pgdb = await createTestDatabase()
    dataDir = await mkdtemp(join(tmpdir(), 'airlock-replicas-'))
    fixtures = await mkdtemp(join(tmpdir(), 'airlock-replicas-fx-'))
    const m = await runCli(['migrate', '--data-dir', dataDir, '--database-url', pgdb.url])
    expect(m.code, m.stderr).toBe(0)
    x = await startServer({ dataDir, databaseUrl: pgdb.url, env: { AIRLOCK_GC_INTERVAL: 'off' } })
    y = await startServer({ dataDir, databaseUrl: pgdb.url, env: { AIRLOCK_GC_INTERVAL: 'off' } })
    token = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim()
  }, 120_000)
  afterAll(async () => {
    await x?.stop()
    await y?.stop()
    await pgdb?.drop()
    if (dataDir) await removeDir(dataDir)
    if (fixtures) await removeDir(fixtures)
  })

  const push = (s: RunningServer, file: string) => runCli(['push-charms', file, '--url', s.url, '--token', token])

  it('pushes overlapping exports on both while gc runs on one: no 500, no dangling row, same listing', async () => {
    // Established first: `base` revision 1, which every round's refused export contradicts.
    const setup = await push(
      x,
      await writeFixture(fixtures, 'setup.tar', await buildCharmExport({ charms: [{ name: 'base', revision: 1 }] })),
    )
    expect(setup.code, setup.stderr).toBe(0)

    const outcomes: Array<{ code: number | null; stderr: string }> = []
    for (let round = 1; round <= ROUNDS; round++) {
      const charm = (name: string): ExportCharm => ({ name, revision: round, summary: `${name} in round ${round}` })
      const e1 = await writeFixture(fixtures, `r${round}-e1.tar`, await buildCharmExport({ charms: [charm('alpha'), charm('shared')] }))
      const e2 = await writeFixture(fixtures, `r${round}-e2.tar`, await buildCharmExport({ charms: [charm('shared'), charm('gamma')] }))
      // Refused (base revision 1 with other bytes) after its first charm's blob was written.
      const bad = await writeFixture(
        fixtures,
        `r${round}-bad.tar`,
        await buildCharmExport({ charms: [charm('delta'), { name: 'base', revision: 1, summary: `other bytes ${round}` }] }),
      )
      // Orphan copies of blobs the pushes will reuse: gc wants to delete them as the imports find them.
      for (const c of [charm('alpha'), charm('shared'), charm('gamma'), charm('delta')]) {
        const bytes = await buildCharm(c)
        const d = sha256(bytes)
        await mkdir(join(dataDir, 'blobs', 'sha256', d.slice(0, 2)), { recursive: true })
        await writeFile(join(dataDir, 'blobs', 'sha256', d.slice(0, 2), d), bytes)
      }
      let pushing = true
      const gcStatuses: number[] = []
      const gcLoop = (async () => {
        while (pushing) {
          const r = await fetch(`${y.url}/admin/v1/gc`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
          gcStatuses.push(r.status)
          await r.arrayBuffer()
        }
      })()
      const results = await Promise.all([push(x, e1), push(y, e2), push(y, bad), push(x, e2), push(x, bad), push(y, e1)])
      pushing = false
      await gcLoop
      outcomes.push(...results)
      expect(
        gcStatuses.every((s) => s === 200),
        `gc answered ${gcStatuses.join(',')}`,
      ).toBe(true)
      for (const r of results) {
        expect(r.stderr).not.toMatch(/internal error|HTTP 5\d\d|\n\s+at /)
        expect([0, 1]).toContain(r.code)
      }
      // The good exports went in (on one replica or the other), the refused ones never did.
      for (const [i, r] of results.entries()) {
        if (i === 2 || i === 4) expect(r.stderr).toMatch(/base revision 1 is already in the store with different content/)
      }
      expect(results[0]!.code === 0 || results[5]!.code === 0, results.map((r) => r.stderr).join('\n')).toBe(true)
      expect(results[1]!.code === 0 || results[3]!.code === 0, results.map((r) => r.stderr).join('\n')).toBe(true)
    }

    // Every row's blob exists and has the bytes its digest says; no blobs row without its file.
    const c = new pg.Client({ connectionString: pgdb.url })
    await c.connect()
    try {
      const rows = await c.query<{ sha256: string; size: string }>(`SELECT b.sha256, b.size FROM blobs b`)
      const used = await c.query<{ blob_sha256: string }>(
        `SELECT blob_sha256 FROM revisions UNION SELECT blob_sha256 FROM resource_revisions`,
      )
      const known = new Set(rows.rows.map((r) => r.sha256))
      for (const u of used.rows) expect(known.has(u.blob_sha256)).toBe(true)
      for (const r of rows.rows) {
        const bytes = await readFile(join(dataDir, 'blobs', 'sha256', r.sha256.slice(0, 2), r.sha256))
        expect(bytes.length).toBe(Number(r.size))
        expect(sha256(bytes)).toBe(r.sha256)
      }
      const names = await c.query<{ name: string; n: string }>(
        `SELECT p.name, count(*) AS n FROM packages p JOIN revisions r ON r.package_id = p.id GROUP BY p.name ORDER BY p.name`,
      )
      expect(names.rows.map((r) => [r.name, Number(r.n)])).toEqual([
        ['alpha', ROUNDS],
        ['base', 1],
        ['gamma', ROUNDS],
        ['shared', ROUNDS],
      ])
    } finally {
      await c.end()
    }

    // Both replicas list the same store (the other replica's view follows within 5 s).
    await new Promise((r) => setTimeout(r, 6000))
    const lx = await runCli(['list', 'charms', '--json', '--url', x.url, '--token', token])
    const ly = await runCli(['list', 'charms', '--json', '--url', y.url, '--token', token])
    expect(lx.code).toBe(0)
    expect(JSON.parse(lx.stdout)).toEqual(JSON.parse(ly.stdout))
    // A last gc frees the refused pushes' leftovers, and then nothing.
    await fetch(`${x.url}/admin/v1/gc`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
    const again = await runCli(['gc', '--json', '--url', y.url, '--token', token])
    expect(again.code, again.stderr).toBe(0)
    expect(JSON.parse(again.stdout)).toMatchObject({ dryRun: false, blobs: 0 })
  }, 600_000)
})
