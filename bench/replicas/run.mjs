#!/usr/bin/env node
// How fast a change reaches the other replicas (docs/decisions/0010), and what following changes
// costs the hot path. Two airlock servers (dist/, as users run them) share a fresh database on the
// given PostgreSQL server, seeded with --catalog charms through SQL. Each round, a third client
// (the writer: as an operator's SQL or another replica's commit would) changes one random charm's
// summary and commits; the time until replica B's Charmhub info shows it is one sample. Meanwhile,
// with --refresh-load, B answers a steady Charmhub refresh load, whose latency is reported with and
// without changes arriving.
//
//   npm run build
//   node bench/replicas/run.mjs --database-url postgres://postgres@127.0.0.1:5432/postgres \
//     [--catalog 2000] [--rounds 100] [--gap-ms 200] [--refresh-load 10]
//
// Prints median, p95 and max propagation (ms), and, with --refresh-load, refresh latency percentiles.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { freePort, log, median, startProcess } from '../lib/processes.mjs'
import { rng } from '../lib/rng.mjs'

const { values: opt } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    catalog: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '100' },
    'gap-ms': { type: 'string', default: '200' },
    'refresh-load': { type: 'string', default: '0' },
  },
})
if (!opt['database-url']) {
  console.error(
    'usage: node bench/replicas/run.mjs --database-url postgres://... [--catalog N] [--rounds N] [--gap-ms MS] [--refresh-load RPS]',
  )
  process.exit(2)
}
const ROOT = resolve(new URL('../..', import.meta.url).pathname)
const CATALOG = Number(opt.catalog)
const ROUNDS = Number(opt.rounds)
const GAP = Number(opt['gap-ms'])
const REFRESH_RPS = Number(opt['refresh-load'])
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]
}
const fmt = (x) => x.toFixed(1)

const admin = new URL(opt['database-url'])
const name = `airlock_bench_${randomBytes(4).toString('hex')}`
const adminClient = new pg.Client({ connectionString: admin.toString() })
await adminClient.connect()
await adminClient.query(`CREATE DATABASE ${name}`)
const dbUrl = new URL(admin)
dbUrl.pathname = `/${name}`
const dataDir = mkdtempSync(join(tmpdir(), 'airlock-bench-replicas-'))
const servers = []
try {
  const serve = async (tag) => {
    const port = await freePort()
    const s = await startProcess(
      process.execPath,
      [join(ROOT, 'bin/airlock.js'), 'serve', '--port', String(port), '--data-dir', dataDir, '--database-url', dbUrl.toString()],
      {
        env: { AIRLOCK_LOG_LEVEL: 'warn' },
        logFile: join(dataDir, `${tag}.log`),
        ready: async () => {
          try {
            return (await fetch(`http://127.0.0.1:${port}/_status/check`)).ok ? `http://127.0.0.1:${port}` : undefined
          } catch {
            return undefined
          }
        },
      },
    )
    servers.push(s)
    return s
  }
  const a = await serve('a') // migrates
  const writer = new pg.Client({ connectionString: dbUrl.toString() })
  await writer.connect()
  log(`seeding ${CATALOG} charms`)
  await writer.query(
    `INSERT INTO blobs (sha256, size, sha384, sha3_384) SELECT md5(i::text) || md5(i::text), 1000, md5(i::text), md5(i::text) FROM generate_series(1, $1) i`,
    [CATALOG],
  )
  await writer.query(
    `INSERT INTO packages (id, namespace, type, name, summary) SELECT 'bench' || lpad(i::text, 27, '0'), 'charmhub', 'charm', 'bench-' || i, 'initial' FROM generate_series(1, $1) i`,
    [CATALOG],
  )
  await writer.query(
    `INSERT INTO revisions (package_id, revision, blob_sha256, platforms, metadata_yaml) SELECT 'bench' || lpad(i::text, 27, '0'), 1, md5(i::text) || md5(i::text),
    '[{"name":"ubuntu","channel":"22.04","architecture":"amd64"}]', 'name: bench-' || i FROM generate_series(1, $1) i`,
    [CATALOG],
  )
  await writer.query(
    `INSERT INTO channel_releases (package_id, track, risk, base_name, base_channel, architecture, revision) SELECT 'bench' || lpad(i::text, 27, '0'), 'latest', 'stable', 'ubuntu', '22.04', 'amd64', 1 FROM generate_series(1, $1) i`,
    [CATALOG],
  )
  const b = await serve('b')
  await sleep(1000)
  void a

  const random = rng(42)
  const refreshBody = (i) =>
    JSON.stringify({
      context: [],
      fields: ['download', 'revision', 'version'],
      actions: [
        {
          action: 'install',
          'instance-key': `k${i}`,
          name: `bench-${1 + (i % CATALOG)}`,
          channel: 'stable',
          base: { name: 'ubuntu', channel: '22.04', architecture: 'amd64' },
        },
      ],
    })
  const refreshLatencies = { quiet: [], changing: [] }
  let phase = 'quiet'
  let loading = REFRESH_RPS > 0
  const refreshLoop = (async () => {
    for (let i = 0; loading; i++) {
      const t = performance.now()
      const res = await fetch(`${b.url}/v2/charms/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: refreshBody(i),
      })
      await res.arrayBuffer()
      refreshLatencies[phase].push(performance.now() - t)
      await sleep(Math.max(0, 1000 / REFRESH_RPS - (performance.now() - t)))
    }
  })()
  if (REFRESH_RPS > 0) {
    log('refresh load, no changes')
    await sleep(Math.min(10_000, ROUNDS * GAP))
    phase = 'changing'
  }

  log(`${ROUNDS} rounds: the writer changes one charm, replica B is polled until it serves the change`)
  const samples = []
  for (let r = 0; r < ROUNDS; r++) {
    const n = 1 + Math.floor(random() * CATALOG)
    const summary = `round ${r}`
    await writer.query(`UPDATE packages SET summary = $1 WHERE id = $2`, [summary, `bench${String(n).padStart(27, '0')}`])
    const t0 = performance.now()
    for (;;) {
      const body = await (await fetch(`${b.url}/v2/charms/info/bench-${n}?fields=result.summary`)).json()
      if (body.result?.summary === summary) break
      if (performance.now() - t0 > 10_000) throw new Error(`round ${r}: not served after 10 s`)
      await sleep(1)
    }
    samples.push(performance.now() - t0)
    await sleep(GAP)
  }
  loading = false
  await refreshLoop
  await writer.end()
  console.log(
    `propagation over ${ROUNDS} rounds, ${CATALOG} charms: median ${fmt(median(samples))} ms, p95 ${fmt(pct(samples, 0.95))} ms, max ${fmt(Math.max(...samples))} ms`,
  )
  for (const [k, xs] of Object.entries(refreshLatencies)) {
    if (xs.length) console.log(`refresh on B, ${k}: ${xs.length} requests, median ${fmt(median(xs))} ms, p99 ${fmt(pct(xs, 0.99))} ms`)
  }
} finally {
  for (const s of servers) await s.stop()
  await adminClient.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {})
  await adminClient.end()
  rmSync(dataDir, { recursive: true, force: true })
}
