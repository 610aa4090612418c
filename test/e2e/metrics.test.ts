// GET /metrics on the real server process: the exposition parses strictly, counters move with
// traffic and imports, label sets stay bounded, AIRLOCK_METRICS=off hides it, and
// airlock_database_up falls to 0 when the PostgreSQL database goes away under the server.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCharmExport, writeFixture } from '../support/charm-builder.js'
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/postgres.js'
import { parsePrometheusText, seriesCount, sumOf, type Family } from '../support/prometheus-text.js'
import { removeDir, runCli, startServer, type RunningServer } from '../support/server-process.js'

const pgState = await postgresAvailable()

/** On PostgreSQL when there is one: it starts faster than the embedded database on a busy machine. */
async function start(env: Record<string, string> = {}): Promise<{ server: RunningServer; pgdb: TestDatabase | undefined }> {
  const pgdb = pgState.ok ? await createTestDatabase() : undefined
  return { server: await startServer({ databaseUrl: pgdb?.url, env }), pgdb }
}

async function scrape(server: RunningServer): Promise<Map<string, Family>> {
  const res = await fetch(`${server.url}/metrics`)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
  return parsePrometheusText(await res.text())
}

describe('GET /metrics', () => {
  let server: RunningServer
  let pgdb: TestDatabase | undefined
  let fixtures: string

  beforeAll(async () => {
    ;({ server, pgdb } = await start())
    fixtures = await mkdtemp(join(tmpdir(), 'airlock-metrics-'))
  })
  afterAll(async () => {
    await server?.stop()
    await pgdb?.drop()
    if (server) await removeDir(server.dataDir)
    if (fixtures) await removeDir(fixtures)
  })

  it('exposes every Airlock family and the process and Node.js ones, in a strictly valid exposition', async () => {
    const m = await scrape(server)
    for (const name of [
      'airlock_http_requests_total',
      'airlock_http_request_duration_seconds',
      'airlock_bytes_served_total',
      'airlock_imports_total',
      'airlock_import_duration_seconds',
      'airlock_catalog_packages',
      'airlock_catalog_revisions',
      'airlock_blob_store_bytes',
      'airlock_blob_store_free_bytes',
      'airlock_blob_store_size_bytes',
      'airlock_database_up',
      'airlock_cache_hits_total',
      'airlock_cache_misses_total',
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
    ])
      expect(m.has(name), name).toBe(true)
    expect(sumOf(m, 'airlock_database_up')).toBe(1)
    expect(sumOf(m, 'airlock_blob_store_size_bytes')).toBeGreaterThan(0)
    expect(sumOf(m, 'airlock_blob_store_free_bytes')).toBeGreaterThan(0)
    expect(sumOf(m, 'airlock_catalog_packages')).toBe(0)
  })

  it('counts an import, catalog sizes, requests by route pattern, bytes served and cache hits', async () => {
    const before = await scrape(server)
    const file = await writeFixture(
      fixtures,
      'charms-export.tar.gz',
      await buildCharmExport({
        charms: [{ name: 'postgresql', revision: 12, bases: ['ubuntu@22.04/amd64'] }],
      }),
    )
    const push = await runCli(['push-charms', file, '--url', server.url, '--data-dir', server.dataDir])
    expect(push.code).toBe(0)
    const bad = await writeFixture(fixtures, 'not-an-export.tar.gz', Buffer.from('this is no tarball'))
    expect((await runCli(['push-charms', bad, '--url', server.url, '--data-dir', server.dataDir])).code).toBe(1)

    const info = async () =>
      (await fetch(`${server.url}/v2/charms/info/postgresql?fields=default-release.revision.download`)).json() as Promise<any>
    const first = await info()
    await info()
    const url: string = first['default-release'].revision.download.url
    const size: number = first['default-release'].revision.download.size
    const dl = await fetch(url)
    expect(dl.status).toBe(200)
    expect((await dl.arrayBuffer()).byteLength).toBe(size)

    const m = await scrape(server)
    expect(
      sumOf(m, 'airlock_imports_total', { kind: 'charm', outcome: 'ok' }) -
        sumOf(before, 'airlock_imports_total', { kind: 'charm', outcome: 'ok' }),
    ).toBe(1)
    expect(
      sumOf(m, 'airlock_imports_total', { kind: 'charm', outcome: 'refused' }) -
        sumOf(before, 'airlock_imports_total', { kind: 'charm', outcome: 'refused' }),
    ).toBe(1)
    expect(sumOf(m, 'airlock_import_duration_seconds', { kind: 'charm' }, 'airlock_import_duration_seconds_count')).toBe(2)
    expect(sumOf(m, 'airlock_catalog_packages', { type: 'charm' })).toBe(1)
    expect(sumOf(m, 'airlock_catalog_revisions', { type: 'charm' })).toBe(1)
    expect(sumOf(m, 'airlock_blob_store_bytes')).toBeGreaterThanOrEqual(size)
    expect(sumOf(m, 'airlock_http_requests_total', { route: '/v2/charms/info/:name', status: '200' })).toBe(2)
    expect(
      sumOf(
        m,
        'airlock_http_request_duration_seconds',
        { route: '/v2/charms/info/:name', status: '200' },
        'airlock_http_request_duration_seconds_count',
      ),
    ).toBe(2)
    // Downloads are hijacked replies: counted all the same.
    expect(sumOf(m, 'airlock_http_requests_total', { route: '/api/v1/charms/download/:file', status: '200' })).toBe(1)
    expect(sumOf(m, 'airlock_bytes_served_total', { kind: 'charm' })).toBe(size)
    expect(sumOf(m, 'airlock_cache_hits_total', { cache: 'charmhub_info' })).toBeGreaterThanOrEqual(1)
    expect(sumOf(m, 'airlock_cache_misses_total', { cache: 'charmhub_info' })).toBeGreaterThanOrEqual(1)
  })

  it('keeps label sets bounded: 1,000 distinct package names and URLs add no series', async () => {
    const names = Array.from({ length: 1000 }, (_, i) => `no-such-charm-${i}`)
    // Both kinds first, so every (route, status) pair they make exists before the count.
    await fetch(`${server.url}/v2/charms/info/warm-up`)
    await fetch(`${server.url}/nowhere/warm-up`)
    await scrape(server) // a scrape is counted once answered: the next one shows it
    // Airlock's own: the Node.js families grow by themselves (a first garbage collection of a kind).
    const before = seriesCount(await scrape(server), 'airlock_')
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(
        names.slice(i, i + 50).map(async (n, j) => {
          const res = await fetch(j % 2 ? `${server.url}/v2/charms/info/${n}` : `${server.url}/nowhere/${n}?x=${n}`)
          await res.arrayBuffer()
        }),
      )
    }
    const m = await scrape(server)
    expect(seriesCount(m, 'airlock_')).toBe(before)
    const routes = new Set(m.get('airlock_http_requests_total')!.samples.map((s) => s.labels.route))
    expect([...routes].some((r) => r!.includes('no-such-charm'))).toBe(false)
    expect(routes.has('unmatched')).toBe(true)
    expect(sumOf(m, 'airlock_http_requests_total', { route: '/v2/charms/info/:name', status: '404' })).toBeGreaterThanOrEqual(500)
  })
})

describe('AIRLOCK_METRICS=off', () => {
  let server: RunningServer
  let pgdb: TestDatabase | undefined
  beforeAll(async () => {
    ;({ server, pgdb } = await start({ AIRLOCK_METRICS: 'off' }))
  })
  afterAll(async () => {
    await server?.stop()
    await pgdb?.drop()
    if (server) await removeDir(server.dataDir)
  })

  it('answers 404 at /metrics and still serves', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404)
    expect((await fetch(`${server.url}/_status/check`)).status).toBe(200)
  })
})

describe.skipIf(!pgState.ok)('airlock_database_up on PostgreSQL', () => {
  let server: RunningServer
  let pgdb: TestDatabase
  beforeAll(async () => {
    pgdb = await createTestDatabase()
    server = await startServer({ databaseUrl: pgdb.url })
  })
  afterAll(async () => {
    await server?.stop('SIGKILL')
    if (server) await removeDir(server.dataDir)
  })

  it('is 1 while the database answers and 0 once it is gone, and the scrape still answers', async () => {
    expect(sumOf(await scrape(server), 'airlock_database_up')).toBe(1)
    await pgdb.drop() // DROP DATABASE … WITH (FORCE): the server's connections are cut
    expect(sumOf(await scrape(server), 'airlock_database_up')).toBe(0)
  })
})
