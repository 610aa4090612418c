#!/usr/bin/env node
// Soak benchmark: one real server (built dist/, PGlite data dir) seeded with snaps (through SQL, as
// bench/snapstore does) and charms (a generated export pushed through the real CLI), then --minutes
// of mixed open-loop traffic: Charmhub refresh and info, snap refresh, charm, resource and snap
// downloads (whole, and 1 MiB Range requests), with a push-charms of a fresh small export every
// minute. The rate is --rate, or 80% of the mix's maximum, measured first (each kind alone,
// closed-loop through the mix's own HTTP client, for --probe-seconds; the mix's maximum is their
// weighted harmonic mean).
//
//   node bench/soak/run.mjs [--minutes 10] [--rate R] [--probe-seconds 5] [--snaps 1000] [--charms 20]
//                           [--blob-mib 16] [--log-level warn] [--max-in-flight 256] [--max-wait 300]
//
// Before probing it waits (up to --max-wait s) for other processes to use under half a core.
//
// Passes (exit 0) when no request failed, every push succeeded, fewer than 1% of the requests due
// were late (the rate was held), and the server's RSS and open file descriptors (/proc/PID/status,
// /proc/PID/fd) grew less than 10% from after the warm-up to the end.
// Prints p50/p99 per minute; writes everything to bench/soak/out/soak-<time>.json.
import { spawn, spawnSync } from 'node:child_process'
import http from 'node:http'
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { cpuMeter, freePort, log, probeUrl, startProcess, waitQuiet } from '../lib/processes.mjs'
import { seed as seedSnaps } from '../snapstore/seed.mjs'
import { deviceBodies } from '../snapstore/refresh-load.mjs'
import { refreshBody } from '../charmhub/load.mjs'
import { makeExport } from '../import/make-export.mjs'
import { rng } from '../lib/rng.mjs'
import { requestKinds, runMix, send, summarise } from './traffic.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = join(HERE, '..', '..')
const OUT = join(HERE, 'out')

const { values: opt } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string' },
    'probe-seconds': { type: 'string', default: '5' },
    snaps: { type: 'string', default: '1000' },
    charms: { type: 'string', default: '20' },
    'blob-mib': { type: 'string', default: '16' },
    'log-level': { type: 'string', default: 'warn' },
    'max-in-flight': { type: 'string', default: '256' },
    'max-wait': { type: 'string', default: '300' },
  },
})
const MINUTES = Number(opt.minutes)
const SECONDS = Math.round(MINUTES * 60)
const PROBE_SECONDS = Number(opt['probe-seconds'])
const WARMUP_SECONDS = Math.min(10, Math.max(2, SECONDS / 10))
const GROWTH_LIMIT = 0.1
const LATE_LIMIT = 0.01
// The mix's client keeps at most 64 sockets (traffic.mjs); the probe uses as many as bench/charmhub.
const PROBE_CONNECTIONS = 32
if (!(MINUTES > 0) || !(PROBE_SECONDS > 0) || (opt.rate !== undefined && !(Number(opt.rate) > 0))) {
  console.error('usage: node bench/soak/run.mjs [--minutes N>0] [--rate R>0] [--probe-seconds S>0] ...')
  process.exit(2)
}

function buildIfNeeded() {
  const entry = join(ROOT, 'dist', 'cli', 'main.js')
  const newest = (dir) =>
    readdirSync(dir, { withFileTypes: true }).reduce(
      (t, e) => Math.max(t, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs),
      0,
    )
  if (existsSync(entry) && statSync(entry).mtimeMs >= newest(join(ROOT, 'src'))) return
  log('building (npm run build)')
  if (spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' }).status !== 0) throw new Error('npm run build failed')
}

/** RSS (KiB), open file descriptors and how many of them are sockets, of `pid`. */
function usage(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const fds = readdirSync(`/proc/${pid}/fd`)
  let sockets = 0
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) sockets++
    } catch {
      /* closed meanwhile */
    }
  }
  return { rssKb: Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? NaN), fds: fds.length, sockets }
}

/** Samples once the load generator's keep-alive connections have been closed on the server's side too. */
async function idleUsage(pid) {
  await sleep(2000)
  return usage(pid)
}

/** `airlock push-charms FILE --json` against the server; resolves { code, seconds, report, stderr }. */
function pushCharms(url, dataDir, file) {
  const t0 = Date.now()
  const cli = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'airlock.js'), 'push-charms', file, '--url', url, '--data-dir', dataDir, '--json'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stdout = ''
  let stderr = ''
  cli.stdout.on('data', (d) => {
    stdout += d
  })
  cli.stderr.on('data', (d) => {
    stderr += d
  })
  return new Promise((resolve) =>
    cli.once('exit', (code) => {
      let report
      try {
        report = JSON.parse(stdout)
      } catch {
        report = stdout
      }
      resolve({ code, seconds: (Date.now() - t0) / 1000, report, stderr: stderr.trim() })
    }),
  )
}

/** Download paths for each charm and its resources, from the refresh answers Juju would get. */
async function charmDownloadPaths(url, names) {
  const charms = []
  const resources = []
  for (const name of names) {
    const res = await fetch(`${url}/v2/charms/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: refreshBody(name),
    })
    const body = await res.json()
    const charm = body.results?.[0]?.charm
    if (res.status !== 200 || !charm) throw new Error(`refresh ${name}: HTTP ${res.status} ${JSON.stringify(body).slice(0, 300)}`)
    charms.push(new URL(charm.download.url).pathname)
    for (const r of charm.resources ?? []) resources.push(new URL(r.download.url).pathname)
  }
  return { charms, resources }
}

/**
 * Each kind alone, closed-loop through the soak's own client (traffic.mjs `send`, the same agent
 * settings): its maximum requests/s on this machine now. The same client as the mix, because the
 * client's cost per request differs by kind (a 16 MiB body costs the reader far more than a 4 KB one)
 * and shares the machine's CPUs with the server.
 */
async function probeMax(url, kinds) {
  const out = {}
  for (const [name, k] of Object.entries(kinds)) {
    const r = await closedLoop(url, k, PROBE_SECONDS)
    if (r.errors > 0) throw new Error(`probe ${name}: ${r.errors} failed requests (${r.problem})`)
    out[name] = r.rps
    log(`  ${name}: ${r.rps.toFixed(0)} requests/s alone (p50 ${r.p50.toFixed(2)} ms, ${r.count} requests)`)
  }
  const total = Object.values(kinds).reduce((t, k) => t + k.weight, 0)
  return { perKind: out, mix: 1 / Object.entries(kinds).reduce((t, [name, k]) => t + k.weight / total / out[name], 0) }
}

/** `connections` loops each sending one `kind` request after another for `seconds`. */
async function closedLoop(url, kind, seconds, connections = PROBE_CONNECTIONS) {
  const base = new URL(url)
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections })
  const rand = rng(11)
  const pick = (list) => list[Math.floor(rand() * list.length)]
  const latencies = []
  let errors = 0
  let problem
  const t0 = performance.now()
  const end = t0 + seconds * 1000
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const r = await send(agent, base, kind.make(pick, rand))
        latencies.push(r.ms)
        if (!r.ok) {
          errors++
          problem ??= r.problem
        }
      }
    }),
  )
  const elapsed = (performance.now() - t0) / 1000
  agent.destroy()
  return { rps: latencies.length / elapsed, errors, problem, ...summarise(latencies) }
}

const fmt = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-')
const growth = (a, b) => (b - a) / a

buildIfNeeded()
mkdirSync(OUT, { recursive: true })
const dataDir = join(OUT, 'data')
log(`seeding ${opt.snaps} snaps and a ${opt['blob-mib']} MiB snap blob → ${dataDir}`)
const snapSeed = await seedSnaps({ snaps: Number(opt.snaps), blobMib: Number(opt['blob-mib']), out: dataDir })
const charmCount = Number(opt.charms)
const seedExport = join(OUT, 'seed-charms.tar.gz')
await makeExport({ out: seedExport, size: charmCount * 64 * 1024, charms: charmCount, resources: 1, level: 1, namePrefix: 'soak-charm' })
// One small export per minute of the run, each a charm new to the store, made before the clock starts.
const pushes = Array.from({ length: Math.max(1, Math.floor(SECONDS / 60)) }, (_, k) => join(OUT, `push-${k}.tar.gz`))
for (const [k, file] of pushes.entries())
  await makeExport({ out: file, size: 256 * 1024, charms: 1, resources: 1, level: 1, namePrefix: `soak-push${k}-charm` })

const port = await freePort()
const server = await startProcess(
  process.execPath,
  [join(ROOT, 'bin', 'airlock.js'), 'serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir],
  {
    logFile: join(OUT, 'server.log'),
    ready: probeUrl(`http://127.0.0.1:${port}`, '/_status/check'),
    env: { AIRLOCK_LOG_LEVEL: opt['log-level'] },
    cwd: ROOT,
  },
)
let failed = false
const result = { options: opt, started: new Date().toISOString() }
try {
  const seeded = await pushCharms(server.url, dataDir, seedExport)
  if (seeded.code !== 0) throw new Error(`seeding push-charms exited ${seeded.code}: ${seeded.stderr}`)
  const names = Array.from({ length: charmCount }, (_, i) => `soak-charm${i}`)
  const downloads = await charmDownloadPaths(server.url, names)
  const kinds = requestKinds({
    charms: names,
    deviceBodies: deviceBodies(snapSeed.ids, { count: 256, perDevice: 20 }),
    charmDownloads: downloads.charms,
    resourceDownloads: downloads.resources,
    snap: { path: `/api/v1/snaps/download/${snapSeed.download.snapId}_${snapSeed.download.revision}.snap`, size: snapSeed.download.size },
  })

  let rate = Number(opt.rate)
  if (!opt.rate) {
    // The maxima set the rate for the whole soak: measured while other processes leave the CPUs alone.
    if (!(await waitQuiet({ maxCores: 0.5, timeoutS: Number(opt['max-wait']), processes: false })))
      log(`warning: the machine stayed busy for ${opt['max-wait']} s; probing anyway`)
    log(`measuring each kind's maximum for ${PROBE_SECONDS} s`)
    const max = await probeMax(server.url, kinds)
    rate = Math.max(1, Math.floor(0.8 * max.mix))
    result.probe = max
    log(`mix maximum ≈ ${max.mix.toFixed(0)} requests/s; running at ${rate} (80%)`)
  }
  result.rate = rate
  log(`warming up for ${WARMUP_SECONDS} s`)
  await runMix({ url: server.url, kinds, rate, seconds: WARMUP_SECONDS, maxInFlight: Number(opt['max-in-flight']) })
  const start = await idleUsage(server.pid)
  log(
    `start: RSS ${(start.rssKb / 1024).toFixed(1)} MiB, ${start.fds} open fds (${start.sockets} sockets); soaking for ${MINUTES} min at ${rate} requests/s`,
  )

  const minutes = []
  const pushResults = []
  const t0 = Date.now()
  // A push every minute, half a minute in (halfway, for runs under a minute), until the run ends.
  const pushing = (async () => {
    for (const [k, file] of pushes.entries()) {
      const at = t0 + Math.min(30_000, SECONDS * 500) + k * 60_000
      if (at >= t0 + SECONDS * 1000) break
      await sleep(Math.max(0, at - Date.now()))
      const r = await pushCharms(server.url, dataDir, file)
      pushResults.push({ file: file.split('/').at(-1), code: r.code, seconds: r.seconds, stderr: r.stderr })
      log(`  push ${k}: exit ${r.code} in ${r.seconds.toFixed(1)} s${r.code ? `: ${r.stderr}` : ''}`)
    }
  })()
  const meter = cpuMeter(server.pid)
  const mix = await runMix({
    url: server.url,
    kinds,
    rate,
    seconds: SECONDS,
    maxInFlight: Number(opt['max-in-flight']),
    onMinute: (i, s) => {
      minutes.push(s)
      log(`  minute ${i + 1}: ${s.count} requests, ${s.errors} errors, ${s.late} late, p50 ${fmt(s.p50)} ms, p99 ${fmt(s.p99)} ms`)
    },
  })
  const cpu = meter()
  await pushing
  const end = await idleUsage(server.pid)
  const errors = Object.values(mix.totals).reduce((t, k) => t + k.errors, 0)
  Object.assign(result, {
    cpu,
    minutes,
    totals: mix.totals,
    problems: mix.problems,
    sent: mix.sent,
    late: mix.late,
    pushes: pushResults,
    start,
    end,
    errors,
  })

  console.log('\nper kind (whole run):')
  for (const [k, v] of Object.entries(mix.totals))
    console.log(
      `  ${k.padEnd(18)} ${String(v.count).padStart(8)} requests  ${String(v.errors).padStart(4)} errors  p50 ${fmt(v.p50).padStart(8)} ms  p99 ${fmt(v.p99).padStart(8)} ms`,
    )
  const rss = growth(start.rssKb, end.rssKb)
  const fds = growth(start.fds, end.fds)
  console.log(
    `\nserver RSS ${(start.rssKb / 1024).toFixed(1)} → ${(end.rssKb / 1024).toFixed(1)} MiB (${(rss * 100).toFixed(1)}%), open fds ${start.fds} → ${end.fds} (${(fds * 100).toFixed(1)}%; sockets ${start.sockets} → ${end.sockets})`,
  )
  const answered = mix.sent - mix.late
  console.log(
    `requests ${answered} answered of ${mix.sent} due at ${rate}/s (${(answered / mix.seconds).toFixed(0)}/s), ${mix.late} late (not sent: ${opt['max-in-flight']} already in flight), errors ${errors}; pushes ${pushResults.filter((p) => p.code === 0).length}/${pushResults.length} ok`,
  )
  console.log(
    `CPU during the soak: server ${(100 * cpu.server).toFixed(0)}%, load generator ${(100 * cpu.client).toFixed(0)}%, other processes ${(100 * cpu.other).toFixed(0)}% (of one core)`,
  )
  if (mix.problems.length) console.log(`first problems:\n  ${mix.problems.join('\n  ')}`)
  const checks = {
    'no errors': errors === 0,
    'every push ok': pushResults.every((p) => p.code === 0),
    'RSS growth < 10%': rss < GROWTH_LIMIT,
    'fd growth < 10%': fds < GROWTH_LIMIT,
    // A rate the server could not keep up with is not a soak at that rate.
    [`rate held (late < ${LATE_LIMIT * 100}%)`]: mix.late <= LATE_LIMIT * mix.sent,
  }
  result.checks = checks
  for (const [what, ok] of Object.entries(checks)) console.log(`${ok ? 'PASS' : 'FAIL'} ${what}`)
  failed = !Object.values(checks).every(Boolean)
} catch (err) {
  failed = true
  console.error(`soak failed: ${err.message}`)
} finally {
  await server.stop({ keepLog: failed })
  const file = join(OUT, `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  writeFileSync(file, JSON.stringify(result, null, 2))
  log(`results → ${file}${failed ? `; server log kept at ${join(OUT, 'server.log')}` : ''}`)
  for (const f of [seedExport, ...pushes]) rmSync(f, { force: true })
  rmSync(dataDir, { recursive: true, force: true })
}
process.exit(failed ? 1 : 0)
