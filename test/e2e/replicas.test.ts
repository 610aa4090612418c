// Two real server processes on one PostgreSQL database and one data dir, as replicas behind a load
// balancer: a change made through one, or written to the database by anyone, is served by the
// other within 5 s (announced at commit; typically well under a second).
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCharmExport, writeFixture } from '../support/charm-builder.js'
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/postgres.js'
import { removeDir, runCli, startServer, type RunningServer } from '../support/server-process.js'

const pgState = await postgresAvailable()
if (!pgState.ok) console.warn(`skipping replicas: ${pgState.reason}`)

/** Polls `url` until `done(status, body)`; returns the milliseconds it took. */
async function until(url: string, done: (status: number, body: any) => boolean, limitMs = 10_000): Promise<number> {
  const start = performance.now()
  for (;;) {
    const res = await fetch(url)
    const body = await res.json().catch(() => undefined)
    if (done(res.status, body)) return performance.now() - start
    if (performance.now() - start > limitMs) throw new Error(`${url}: still ${res.status} ${JSON.stringify(body)} after ${limitMs} ms`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

const revisionOf = (body: any): number | undefined => body?.['default-release']?.revision?.revision

describe.skipIf(!pgState.ok)('replicas on one PostgreSQL', () => {
  let a: RunningServer
  let b: RunningServer
  let pgdb: TestDatabase
  let fixtures: string
  const viaA = () => ['--url', a.url, '--data-dir', a.dataDir]
  const info = (s: RunningServer) => `${s.url}/v2/charms/info/redis?fields=default-release.revision.revision`
  const charm = (rev: number) => buildCharmExport({ charms: [{ name: 'redis', revision: rev, metadataJson: false }] })

  beforeAll(async () => {
    pgdb = await createTestDatabase()
    a = await startServer({ databaseUrl: pgdb.url })
    b = await startServer({ databaseUrl: pgdb.url, dataDir: a.dataDir })
    fixtures = await mkdtemp(join(tmpdir(), 'airlock-replicas-'))
  })
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()])
    await pgdb?.drop()
    if (a) await removeDir(a.dataDir)
    if (fixtures) await removeDir(fixtures)
  })

  it('serves a push made through A from B within 5 s, and a moved channel too', async () => {
    expect((await fetch(info(b))).status).toBe(404)
    const push = await runCli(['push-charms', await writeFixture(fixtures, 'r1.tar.gz', await charm(1)), ...viaA()])
    expect(push.code, push.stderr).toBe(0)
    // A made the change: it serves it as soon as the push has answered.
    expect(revisionOf(await (await fetch(info(a))).json())).toBe(1)
    const first = await until(info(b), (s, body) => s === 200 && revisionOf(body) === 1)
    console.log(`replica B served the pushed revision ${first.toFixed(0)} ms after A answered the push`)
    expect(first).toBeLessThan(5000)

    const moved = await runCli(['push-charms', await writeFixture(fixtures, 'r2.tar.gz', await charm(2)), '--push-channel-map', ...viaA()])
    expect(moved.code, moved.stderr).toBe(0)
    const second = await until(info(b), (_s, body) => revisionOf(body) === 2)
    console.log(`replica B served the moved channel ${second.toFixed(0)} ms after A answered the push`)
    expect(second).toBeLessThan(5000)
  })

  it('sees rows deleted behind its back (plain SQL) on both replicas within 5 s', async () => {
    const c = new pg.Client({ connectionString: pgdb.url })
    await c.connect()
    try {
      const channels = (s: RunningServer) => `${s.url}/v2/charms/info/redis?fields=channel-map.revision.revision`
      for (const s of [a, b]) expect(((await (await fetch(channels(s))).json()) as any)['channel-map'].length).toBeGreaterThan(0)
      await c.query(`DELETE FROM channel_releases WHERE package_id = (SELECT id FROM packages WHERE name = 'redis')`)
      const [ta, tb] = await Promise.all([a, b].map((s) => until(channels(s), (_st, body) => body?.['channel-map']?.length === 0)))
      console.log(`deleted channel pointers gone: A ${ta!.toFixed(0)} ms, B ${tb!.toFixed(0)} ms`)
      expect(Math.max(ta!, tb!)).toBeLessThan(5000)
      await c.query(`DELETE FROM packages WHERE name = 'redis'`)
      for (const s of [a, b]) expect(await until(info(s), (st) => st === 404)).toBeLessThan(5000)
    } finally {
      await c.end()
    }
  })

  it('catches up on a change made while its notification connection was cut', async () => {
    const c = new pg.Client({ connectionString: pgdb.url })
    await c.connect()
    try {
      // Every replica's LISTEN connection goes; the push commits before they are back.
      await c.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN airlock_catalog' AND datname = current_database() AND pid <> pg_backend_pid()`,
      )
      const push = await runCli(['push-charms', await writeFixture(fixtures, 'r3.tar.gz', await charm(3)), ...viaA()])
      expect(push.code, push.stderr).toBe(0)
      const t = await until(info(b), (s, body) => s === 200 && revisionOf(body) === 3)
      console.log(`replica B caught up ${t.toFixed(0)} ms after the push, its notification connection cut`)
      expect(t).toBeLessThan(5000)
      // And it listens again: the next change is announced.
      await expect
        .poll(
          async () =>
            (
              await c.query(
                `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = 'LISTEN airlock_catalog' AND datname = current_database()`,
              )
            ).rows[0].n,
          { timeout: 10_000 },
        )
        .toBe(2)
    } finally {
      await c.end()
    }
  })
})
