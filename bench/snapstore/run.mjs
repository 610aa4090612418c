#!/usr/bin/env node
// Snap Store benchmark: POST /v2/snaps/refresh with a 30-snap context (a device's auto-refresh, as
// snapd sends it) on a catalog of 5,000 snaps × 2 revisions, and blob downloads (one stream, 8
// parallel streams, 8 parallel random 1 MiB ranges), side by side in one run with references:
//   * refresh: a bare Fastify route answering a precomputed body of the same bytes as Airlock's
//     30-snap answer (baseline-server.mjs), both driven by autocannon at 32 connections;
//   * downloads: nginx serving the same file (sendfile on, no gzip), both read by blob-load.mjs.
//
//   node bench/snapstore/run.mjs [--reps 3] [--duration 10] [--connections 32] [--log-level info]
//        [--snaps 5000] [--blob-mib 64] [--streams 8] [--range-kib 1024] [--nginx-workers 1] [--baseline-body buffer|string]
//        [--cpu-prof] [--skip-refresh] [--skip-downloads] [--skip-baseline] [--skip-nginx] [--fakestore]
//        [--no-wait]   (smoke tests: neither wait for a quiet machine nor repeat disturbed measurements)
//        [--airlock-root DIR]   (run Airlock from another built checkout: DIR/bin/airlock.js, for trying changes)
//        [--variant LABEL=ROOT[+NAME=VALUE...] ...]   (several built checkouts side by side in each repetition, each paired
//                                      with the minimal route; the report adds each one's ratio to the first)
//
// Targets (the issue): refresh ≥ 0.5 × the minimal route's requests/s; each download mode ≥ 0.8 ×
// nginx's MiB/s. Each figure is the median of --reps repetitions; each repetition starts fresh
// server processes, and ratios are taken per repetition (paired), then the median. Servers run as
// separate processes; the load generator is this process, so on 2 cores each side gets one.
// A measurement during which other processes used more than 0.2 cores is repeated (up to 4 times).
// The catalog is seeded once through SQL (seed.mjs) and cached in bench/snapstore/out/.
// --log-level is Airlock's AIRLOCK_LOG_LEVEL (default info, Airlock's default: a line per request).
// --cpu-prof writes V8 CPU profiles of Airlock to out/prof/ (summarise them with
// bench/charmhub/profile-summary.mjs); profiled runs are slower.
// --fakestore adds snapd's fakestore (~/.cache/snapd-testkeys/bin/fakestore) for reference, when
// built: see fakestore.mjs.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { seed, SEED_FORMAT } from './seed.mjs'
import { cycle, deviceBodies, refreshLoad, REFRESH_HEADERS } from './refresh-load.mjs'
import { blobLoad, checkRanges, downloadDigest, warmPageCache } from './blob-load.mjs'
import { startNginx } from './nginx.mjs'
import { parseVariant } from '../lib/variants.mjs'
import { cpuMeter, freePort, jsonLineUrl, log, median, probeUrl, startProcess, waitQuiet as waitQuietFor } from '../lib/processes.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = join(HERE, '..', '..')
const OUT = join(HERE, 'out')

const { values: opt } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    'log-level': { type: 'string', default: 'info' },
    snaps: { type: 'string', default: '5000' },
    'per-device': { type: 'string', default: '30' },
    'blob-mib': { type: 'string', default: '64' },
    streams: { type: 'string', default: '8' },
    'range-kib': { type: 'string', default: '1024' },
    'nginx-workers': { type: 'string', default: '1' },
    'baseline-body': { type: 'string', default: 'buffer' },
    'cpu-prof': { type: 'boolean', default: false },
    'skip-refresh': { type: 'boolean', default: false },
    'skip-downloads': { type: 'boolean', default: false },
    'skip-baseline': { type: 'boolean', default: false },
    'skip-nginx': { type: 'boolean', default: false },
    fakestore: { type: 'boolean', default: false },
    'no-wait': { type: 'boolean', default: false },
    'airlock-root': { type: 'string' },
    variant: { type: 'string', multiple: true },
  },
})
const REPS = Number(opt.reps)
const DURATION = Number(opt.duration)
const CONNECTIONS = Number(opt.connections)
const SNAPS = Number(opt.snaps)
const PER_DEVICE = Number(opt['per-device'])
const BLOB_MIB = Number(opt['blob-mib'])
const STREAMS = Number(opt.streams)
const RANGE = Number(opt['range-kib']) * 1024
const WARMUP_SECONDS = 3
const OTHER_CPU_LIMIT = opt['no-wait'] ? Infinity : 0.2
// The first wait (before anything starts) is the brief's: no other benchmark process for up to 20
// minutes. Later ones wait (up to 10 minutes each) for the CPU only, so another benchmark that sits
// waiting for us does not block us, while one that measures does.
let firstWait = true
const waitQuiet = async () => {
  if (opt['no-wait']) return true
  const first = firstWait
  firstWait = false
  const ok = await waitQuietFor(first ? {} : { processes: false, timeoutS: 600 })
  if (!ok)
    log(
      first
        ? 'warning: other benchmarks kept running for 20 minutes; measuring anyway (disturbed measurements are repeated, then flagged)'
        : 'warning: the machine stayed busy for 10 minutes; measuring anyway',
    )
  return ok
}

const DOWNLOAD_MODES = {
  one: { label: '1 stream, whole file', connections: 1 },
  parallel: { label: `${STREAMS} parallel streams, whole file`, connections: STREAMS },
  range: { label: `${STREAMS} parallel, random ${opt['range-kib']} KiB ranges`, connections: STREAMS, range: RANGE },
}

function newestMtime(dir) {
  let t = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs)
  }
  return t
}

function buildIfNeeded() {
  const entry = join(ROOT, 'dist', 'cli', 'main.js')
  if (existsSync(entry) && statSync(entry).mtimeMs >= newestMtime(join(ROOT, 'src'))) return
  log('building (npm run build)')
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' })
  if (r.status !== 0) {
    if (!existsSync(entry)) throw new Error('npm run build failed')
    log('warning: npm run build failed; measuring the existing dist/')
  }
}

function migrationsHash() {
  const h = createHash('sha256')
  const dir = join(ROOT, 'migrations')
  for (const f of readdirSync(dir).sort()) h.update(f).update(readFileSync(join(dir, f)))
  return h.digest('hex')
}

/** The seeded data dir, seeding it unless a current one is cached. */
async function catalog() {
  const dir = join(OUT, `catalog-${SNAPS}-${BLOB_MIB}mib`)
  const stamp = join(dir, 'seed.json')
  const migrations = migrationsHash()
  if (existsSync(stamp)) {
    const s = JSON.parse(readFileSync(stamp, 'utf8'))
    if (
      s.format === SEED_FORMAT &&
      s.snaps === SNAPS &&
      s.blobMib === BLOB_MIB &&
      s.migrations === migrations &&
      existsSync(s.download.path) &&
      statSync(s.download.path).size === s.download.size
    )
      return { dir, ...s }
  }
  log(`seeding ${SNAPS} snaps × 2 revisions and a ${BLOB_MIB} MiB blob → ${dir}`)
  const info = await seed({ snaps: SNAPS, blobMib: BLOB_MIB, out: dir })
  writeFileSync(stamp, JSON.stringify({ ...info, migrations }))
  log(`  seeded in ${info.seconds.toFixed(1)} s`)
  return { dir, ...info }
}

/**
 * The Airlock builds to measure: --variant LABEL=ROOT[+NAME=VALUE...] (repeatable; environment
 * variables for that variant's server, NODE_OPTIONS included), else --airlock-root or this checkout.
 */
const VARIANTS = (opt.variant ?? [`Airlock=${opt['airlock-root'] ?? ROOT}`]).map((v, i) => {
  const { label, root, env } = parseVariant(v)
  return { label, root, env, key: i === 0 ? 'airlock' : `airlock-${label}` }
})

async function startAirlock(dataDir, variant) {
  const prof = opt['cpu-prof']
    ? ['--cpu-prof', '--cpu-prof-dir', join(OUT, 'prof'), '--cpu-prof-name', `${variant.label}-${Date.now()}.cpuprofile`]
    : []
  // A port of our choosing and the health check: above info, "airlock listening" is not logged.
  const port = await freePort()
  return startProcess(
    process.execPath,
    [...prof, 'bin/airlock.js', 'serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir],
    {
      cwd: variant.root,
      logFile: join(OUT, `${variant.label}.log`),
      ready: probeUrl(`http://127.0.0.1:${port}`, '/_status/check'),
      env: { AIRLOCK_LOG_LEVEL: opt['log-level'], ...variant.env },
    },
  )
}

/** One 30-snap answer of Airlock's (what the minimal route serves), checked to be a full refresh. */
async function captureAnswer(url, body) {
  const res = await fetch(`${url}/v2/snaps/refresh`, { method: 'POST', headers: REFRESH_HEADERS, body })
  const text = await res.text()
  if (res.status !== 200) throw new Error(`refresh: HTTP ${res.status}: ${text.slice(0, 500)}`)
  const { results } = JSON.parse(text)
  const ok = results.filter((r) => r.result === 'refresh' && r.snap?.revision === 2 && r.snap?.['snap-yaml'])
  if (results.length !== PER_DEVICE || ok.length !== PER_DEVICE)
    throw new Error(`refresh: ${ok.length}/${results.length} full refresh results: ${text.slice(0, 500)}`)
  return text
}

/** Repeats `run` while other processes disturb it (tests, builds: the machine is shared). */
async function steady(pid, what, run, fmt) {
  let r
  for (let attempt = 1; ; attempt++) {
    const meter = cpuMeter(pid)
    r = await run()
    r.cpu = meter()
    r.attempt = attempt
    log(
      `    ${what.padEnd(62)} ${fmt(r)}  CPU: server ${(100 * r.cpu.server).toFixed(0)}%, client ${(100 * r.cpu.client).toFixed(0)}%, others ${(100 * r.cpu.other).toFixed(0)}%`,
    )
    if (!(r.cpu.other > OTHER_CPU_LIMIT)) return r
    if (attempt === 4) {
      r.disturbed = true
      log('    still disturbed after 4 attempts: kept, flagged')
      return r
    }
    log('    disturbed by other processes: measuring again once the machine is quiet')
    await waitQuiet()
  }
}

const fmtRefresh = (r) =>
  `${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  ${(r.bytesPerResponse / 1024).toFixed(1)} KiB/response`
const fmtBlob = (r) => `${r.mibps.toFixed(0).padStart(6)} MiB/s  ${r.requests} downloads  p50 ${r.p50.toFixed(1)} ms`

/** Warm-up: every device once (every snap's texts cached), then WARMUP_SECONDS of load (JIT). */
async function warmRefresh(server, bodies) {
  await refreshLoad({ url: server.url, next: cycle(bodies, 0), connections: CONNECTIONS, amount: bodies.length })
  await refreshLoad({ url: server.url, next: cycle(bodies, 7), connections: CONNECTIONS, duration: WARMUP_SECONDS })
}

const measureRefresh = (server, bodies) =>
  steady(
    server.pid,
    `${server.name}: refresh, ${PER_DEVICE} snaps, ${CONNECTIONS} connections`,
    () => refreshLoad({ url: server.url, next: cycle(bodies, 101), connections: CONNECTIONS, duration: DURATION }),
    fmtRefresh,
  )

/** Checks the server sends the blob's bytes (whole and ranges), then warms it up. */
async function checkDownloads(server, blob, verify) {
  const url = `${server.url}${server.path}`
  if (verify) {
    const d = await downloadDigest(url)
    if (d.status !== 200 || d.sha256 !== blob.sha256 || d.bytes !== blob.size)
      throw new Error(`${url}: HTTP ${d.status}, ${d.bytes} bytes, sha256 ${d.sha256}`)
    if (d.headers['content-encoding'] || d.headers['transfer-encoding']) throw new Error(`${url}: encoded: ${JSON.stringify(d.headers)}`)
    await checkRanges(url, blob.path, blob.size, RANGE)
  }
  await blobLoad({ url: server.url, path: server.path, size: blob.size, connections: STREAMS, duration: 2 })
}

const measureDownload = (server, blob, m) =>
  steady(
    server.pid,
    `${server.name}: ${m.label}`,
    () =>
      blobLoad({
        url: server.url,
        path: server.path,
        size: blob.size,
        connections: m.connections,
        range: m.range,
        duration: DURATION,
        seed: 7,
      }),
    fmtBlob,
  )

async function main() {
  mkdirSync(OUT, { recursive: true })
  await waitQuiet()
  if (!opt['airlock-root'] && !opt.variant) buildIfNeeded()
  const cat = await catalog()
  const blob = cat.download
  const bodies = deviceBodies(cat.ids, { count: 512, perDevice: PER_DEVICE })
  const requestBytes = Buffer.byteLength(bodies[0])
  const doRefresh = !opt['skip-refresh']
  const doDownloads = !opt['skip-downloads']
  if (doDownloads) await warmPageCache(blob.path)
  // Each further variant gets its own copy of the seeded data dir: one server owns a data dir.
  for (const v of VARIANTS.slice(1)) {
    v.dataDir = `${cat.dir}-${v.label}`
    rmSync(v.dataDir, { recursive: true, force: true })
    cpSync(cat.dir, v.dataDir, { recursive: true })
  }
  VARIANTS[0].dataDir = cat.dir
  const reps = []
  // Per repetition all servers run side by side (idle ones cost nothing) and each Airlock
  // measurement is paired with its reference's, taken right before or after it (the order
  // alternates between repetitions): the machine's speed drifts over minutes (shared host), so the
  // ratio of a pair is steadier than a ratio of figures taken far apart.
  for (let rep = 1; rep <= REPS; rep++) {
    const r = { baseline: {}, nginx: {} }
    for (const v of VARIANTS) r[v.key] = {}
    await waitQuiet()
    log(`repetition ${rep}/${REPS}: starting Airlock (${SNAPS} snaps, AIRLOCK_LOG_LEVEL=${opt['log-level']}) and the references`)
    const airlocks = []
    const servers = []
    try {
      for (const v of VARIANTS) {
        const s = await startAirlock(v.dataDir, v)
        Object.assign(s, { name: v.label, key: v.key, path: `/api/v1/snaps/download/${blob.snapId}_${blob.revision}.snap` })
        log(`  ${v.label} listening after ${s.startSeconds.toFixed(1)} s`)
        airlocks.push(s)
        servers.push(s)
      }
      const a = airlocks[0]
      r.airlockStartSeconds = a.startSeconds
      const answer = await captureAnswer(a.url, bodies[0])
      r.answerBytes = Buffer.byteLength(answer)
      for (const s of airlocks.slice(1))
        if ((await captureAnswer(s.url, bodies[0])).replaceAll(s.url, a.url) !== answer)
          log(`  note: ${s.name}'s answer differs from ${a.name}'s (beyond its URL base)`)
      let b
      if (doRefresh && !opt['skip-baseline']) {
        const bodyFile = join(OUT, 'baseline-body.json')
        writeFileSync(bodyFile, answer)
        b = await startProcess(process.execPath, [join(HERE, 'baseline-server.mjs'), bodyFile, opt['baseline-body']], {
          cwd: ROOT,
          logFile: join(OUT, 'baseline.log'),
          ready: jsonLineUrl('baseline listening'),
        })
        Object.assign(b, { name: `minimal route (${r.answerBytes} B ${opt['baseline-body']})`, key: 'baseline' })
        servers.push(b)
      }
      let n
      if (doDownloads && !opt['skip-nginx']) {
        n = await startNginx({ root: join(cat.dir, 'blobs'), dir: join(OUT, 'nginx'), workers: Number(opt['nginx-workers']) })
        Object.assign(n, {
          name: `nginx (${opt['nginx-workers']} worker)`,
          key: 'nginx',
          path: `/${blob.path.slice(join(cat.dir, 'blobs').length + 1)}`,
        })
        servers.push(n)
      }
      const pair = (s, ref) => (ref ? (rep % 2 ? [s, ref] : [ref, s]) : [s])
      // Variants in an order that rotates per repetition, each paired with its reference.
      const order = airlocks.map((_, i) => airlocks[(i + rep - 1) % airlocks.length])
      if (doRefresh) {
        for (const x of order) for (const s of pair(x, b)) if (!r[s.key].refresh) await warmRefresh(s, bodies)
        for (const x of order) for (const s of pair(x, b)) r[s.key].refresh = await measureRefresh(s, bodies)
      }
      if (doDownloads) {
        for (const x of order) for (const s of pair(x, n)) await checkDownloads(s, blob, rep === 1)
        for (const [key, m] of Object.entries(DOWNLOAD_MODES))
          for (const x of order) for (const s of pair(x, n)) r[s.key][key] = await measureDownload(s, blob, m)
      }
    } finally {
      for (const s of servers) await s.stop()
    }
    reps.push(r)
  }
  let fakestore
  if (opt.fakestore) {
    await waitQuiet()
    const { measureFakestore } = await import('./fakestore.mjs')
    // 4 connections: at ~1 request/s, 32 would only queue (and reach autocannon's 30 s timeout).
    fakestore = await measureFakestore({ out: OUT, perDevice: PER_DEVICE, duration: DURATION, connections: 4, log })
  }
  report(reps, { requestBytes, fakestore })
}

function report(reps, { requestBytes, fakestore }) {
  const get = (r, path) => path.split('.').reduce((o, k) => o?.[k], r)
  const med = (path) => median(reps.map((r) => get(r, path)).filter((x) => typeof x === 'number'))
  const ratio = (num, den) => median(reps.map((r) => get(r, num) / get(r, den)).filter(Number.isFinite))
  const disturbed = (path) => reps.filter((r) => get(r, path)?.disturbed).length
  const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : '–')
  const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–')
  const pct = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(0)}%` : '–')
  const flag = (path) => (disturbed(path) ? ` (${disturbed(path)} disturbed)` : '')
  const refreshRow = (what, path) =>
    `| ${what}${flag(path)} | ${f0(med(`${path}.rps`))} | ${f2(med(`${path}.p50`))} | ${f2(med(`${path}.p99`))} | ${pct(med(`${path}.cpu.server`))} | ${pct(med(`${path}.cpu.client`))} |`
  const blobRow = (what, path) =>
    `| ${what}${flag(path)} | ${f0(med(`${path}.mibps`))} | ${f0(med(`${path}.requests`))} | ${f2(med(`${path}.p50`))} | ${pct(med(`${path}.cpu.server`))} | ${pct(med(`${path}.cpu.client`))} |`
  const verdict = (x, ok) => (Number.isFinite(x) ? (ok(x) ? 'met' : '**missed**') : 'not measured')
  const checks = [
    ['refresh req/s vs minimal route', ratio('airlock.refresh.rps', 'baseline.refresh.rps'), '≥ 0.5', (x) => x >= 0.5],
    ...Object.entries(DOWNLOAD_MODES).map(([k, m]) => [
      `download ${m.label}: MiB/s vs nginx`,
      ratio(`airlock.${k}.mibps`, `nginx.${k}.mibps`),
      '≥ 0.8',
      (x) => x >= 0.8,
    ]),
  ]
  const lines = [
    `Snap Store${opt['airlock-root'] ? ` (Airlock from ${opt['airlock-root']})` : ''}, ${SNAPS} snaps × 2 revisions, ${DURATION} s per measurement, median of ${reps.length} repetitions, AIRLOCK_LOG_LEVEL=${opt['log-level']}${opt['cpu-prof'] ? ' (CPU-profiled: slower)' : ''}, node ${process.version}`,
    `Refresh: ${PER_DEVICE}-snap context + ${PER_DEVICE} refresh actions (${requestBytes} B request, ${f0(med('answerBytes'))} B answer), ${CONNECTIONS} connections (autocannon). ` +
      `Downloads: a ${BLOB_MIB} MiB blob, nginx with ${opt['nginx-workers']} worker(s) and sendfile. Airlock start-up (catalog load): ${f2(med('airlockStartSeconds'))} s.`,
    '',
    '| refresh | requests/s | p50 ms | p99 ms | server CPU | client CPU |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...VARIANTS.map((v) => refreshRow(v.label, `${v.key}.refresh`)),
    refreshRow(`minimal Fastify route, precomputed body (${opt['baseline-body']})`, 'baseline.refresh'),
    ...(fakestore
      ? [
          `| snapd fakestore (its directory holds only the ${fakestore.snaps} snaps; 4 connections; reference) | ${f0(fakestore.rps)} | ${f2(fakestore.p50)} | ${f2(fakestore.p99)} | ${pct(fakestore.cpu?.server)} | ${pct(fakestore.cpu?.client)} |`,
        ]
      : []),
    '',
    '| download | MiB/s | downloads | p50 ms | server CPU | client CPU |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...Object.entries(DOWNLOAD_MODES).flatMap(([k, m]) => [
      ...VARIANTS.map((v) => blobRow(`${v.label}, ${m.label}`, `${v.key}.${k}`)),
      blobRow(`nginx, ${m.label}`, `nginx.${k}`),
    ]),
    '',
    '| target | measured | wanted | |',
    '| --- | ---: | ---: | --- |',
    ...checks.map(([what, x, want, ok]) => `| ${what} | ${Number.isFinite(x) ? `${x.toFixed(2)}×` : '–'} | ${want} | ${verdict(x, ok)} |`),
    ...(VARIANTS.length > 1
      ? [
          '',
          `| variant vs ${VARIANTS[0].label} (paired per repetition, median) | refresh req/s | refresh vs minimal route |`,
          '| --- | ---: | ---: |',
          ...VARIANTS.map(
            (v) =>
              `| ${v.label} | ${f2(ratio(`${v.key}.refresh.rps`, 'airlock.refresh.rps'))}× | ${f2(ratio(`${v.key}.refresh.rps`, 'baseline.refresh.rps'))}× |`,
          ),
        ]
      : []),
  ]
  console.log(`\n${lines.join('\n')}\n`)
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  writeFileSync(join(OUT, `results-${stamp}.md`), `${lines.join('\n')}\n`)
  writeFileSync(join(OUT, `results-${stamp}.json`), JSON.stringify({ options: opt, reps, fakestore }, null, 1))
  log(`written: ${join(OUT, `results-${stamp}.md`)} and .json`)
}

await main()
process.exit(0)
