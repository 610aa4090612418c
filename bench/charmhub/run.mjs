#!/usr/bin/env node
// Charmhub API benchmark: refresh (install by name + channel + base, as Juju 3.6 sends it) and info
// (with `juju info`'s fields) at 32 connections, against a catalog of 10,000 charms × 5 revisions,
// side by side in one run with a bare Fastify server answering precomputed bodies of the same size
// (baseline-server.mjs); then refresh p50 on a 1,000-revision catalog against a 100,000-revision one.
//
//   node bench/charmhub/run.mjs [--reps 3] [--duration 10] [--connections 32] [--log-level info]
//                               [--cpu-prof] [--skip-scaling] [--skip-baseline]
//                               [--variant LABEL=ROOT[@LOG-LEVEL] ...] [--max-wait 1200] [--attempts 4]
//
// Targets (the issue): Airlock ≥ 0.5 × the baseline's requests/s for refresh and for info, and
// refresh p50 at 100,000 revisions ≤ 1.2 × the p50 at 1,000. Each figure is the median of --reps
// repetitions; each repetition starts fresh server processes. Servers and the load generator are
// separate node processes (the load generator is this one), so on a 2-core machine each gets a core.
// Catalogs are seeded once through SQL (seed.mjs) and cached in bench/charmhub/out/.
// --log-level is Airlock's AIRLOCK_LOG_LEVEL (default: Airlock's default, info, which logs every
// request); its log goes to a file under out/ that is deleted afterwards.
// --cpu-prof writes V8 CPU profiles of the Airlock servers to out/prof/ (profiled runs are slower).
// --variant measures other built checkouts (or log levels) side by side in the same run (the
// 1,000/100,000-revision scaling check runs for the first one only), e.g. a change against its parent: --variant head=/tmp/head --variant fix=/tmp/fix --variant fix-quiet=/tmp/fix@warn
// Other processes' CPU use is watched: the run waits for a quiet machine before each server (at most
// --max-wait seconds, then goes on), and repeats a measurement they disturbed (--attempts in all).
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { seed, SEED_FORMAT } from './seed.mjs'
import { load, nameCycle, KINDS } from './load.mjs'
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
    'cpu-prof': { type: 'boolean', default: false },
    'skip-scaling': { type: 'boolean', default: false },
    'skip-baseline': { type: 'boolean', default: false },
    variant: { type: 'string', multiple: true },
    'max-wait': { type: 'string', default: '1200' },
    attempts: { type: 'string', default: '4' },
  },
})
const REPS = Number(opt.reps)
const DURATION = Number(opt.duration)
const CONNECTIONS = Number(opt.connections)
const WARMUP_SECONDS = 3
const MAX_WAIT = Number(opt['max-wait'])
const OTHER_CPU_LIMIT = 0.2 // cores other processes may use during a measurement before it is repeated
const MAIN = { charms: 10_000, revisions: 5 }
const SMALL = { charms: 200, revisions: 5 }
const LARGE = { charms: 20_000, revisions: 5 }

/** Waits for a quiet machine: no other benchmark, under 0.15 cores in use. */
const waitQuiet = ({ timeoutS }) => waitQuietFor({ maxCores: 0.15, timeoutS })

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
  const dir = join(ROOT, 'migrations')
  const h = createHash('sha256')
  for (const f of readdirSync(dir).sort()) h.update(f).update(readFileSync(join(dir, f)))
  return h.digest('hex')
}

/** The seeded data dir for `size`, seeding it unless a current one is cached. */
async function catalog(size) {
  const dir = join(OUT, `catalog-${size.charms}x${size.revisions}`)
  const stamp = join(dir, 'seed.json')
  const migrations = migrationsHash()
  if (existsSync(stamp)) {
    const s = JSON.parse(readFileSync(stamp, 'utf8'))
    if (s.format === SEED_FORMAT && s.charms === size.charms && s.revisions === size.revisions && s.migrations === migrations)
      return { dir, names: s.names }
  }
  log(`seeding ${size.charms} charms × ${size.revisions} revisions → ${dir}`)
  const info = await seed({ ...size, out: dir })
  writeFileSync(stamp, JSON.stringify({ ...info, migrations }))
  log(`  seeded in ${info.seconds.toFixed(1)} s`)
  return { dir, names: info.names }
}

/** Starts a node process (stdout/stderr to `logFile`), ready once it logged `msg` with a url, or once `probe` (a url) answers. */
function startServer(args, { logFile, msg, probe, env = {} }) {
  const ready = msg ? jsonLineUrl(msg) : probeUrl(new URL(probe).origin, new URL(probe).pathname)
  return startProcess(process.execPath, args, { logFile, ready, env, cwd: ROOT })
}

async function startAirlock(variant, dataDir, tag) {
  const prof = opt['cpu-prof']
    ? ['--cpu-prof', '--cpu-prof-dir', join(OUT, 'prof'), '--cpu-prof-name', `${variant.label}-${tag}-${Date.now()}.cpuprofile`]
    : []
  // A port of our choosing and the health check: above info, "airlock listening" is not logged.
  const port = await freePort()
  return startServer(
    [...prof, join(variant.root, 'bin', 'airlock.js'), 'serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir],
    {
      logFile: join(OUT, `${variant.label}-${tag}.log`),
      probe: `http://127.0.0.1:${port}/_status/check`,
      env: { AIRLOCK_LOG_LEVEL: variant.logLevel },
    },
  )
}

/** One real answer per kind, the one closest to the mean size over a sample of names (the baseline serves these). */
async function captureBodies(url, names) {
  const out = {}
  for (const kind of Object.keys(KINDS)) {
    const sample = names.slice(0, 101)
    const bodies = []
    for (const name of sample) {
      const r = KINDS[kind].request(name)
      const res = await globalThis.fetch(url + r.path, { method: r.method, headers: r.headers, body: r.body })
      if (res.status !== 200) throw new Error(`${kind} ${name}: HTTP ${res.status}`)
      bodies.push(await res.text())
    }
    const mean = bodies.reduce((t, b) => t + Buffer.byteLength(b), 0) / bodies.length
    out[kind] = bodies.reduce((best, b) => (Math.abs(Buffer.byteLength(b) - mean) < Math.abs(Buffer.byteLength(best) - mean) ? b : best))
    const parsed = JSON.parse(out[kind])
    if (kind === 'refresh' && parsed.results?.[0]?.result !== 'install')
      throw new Error(`refresh did not install: ${out[kind].slice(0, 300)}`)
    if (kind === 'info' && !parsed['default-release']) throw new Error(`info has no default-release: ${out[kind].slice(0, 300)}`)
  }
  return out
}

/** Warm-up: every name once (fills the revision-text cache), then WARMUP_SECONDS of load (JIT). */
async function warm(url, kinds, names) {
  for (const kind of kinds) {
    await load({ url, kind, next: nameCycle(names, 7), connections: CONNECTIONS, amount: names.length })
    await load({ url, kind, next: nameCycle(names, 8), connections: CONNECTIONS, duration: WARMUP_SECONDS })
  }
}

/**
 * One measurement per kind. A measurement during which other processes took more than
 * OTHER_CPU_LIMIT cores (tests, builds: the machine is shared) is repeated once the machine is
 * quiet again (--attempts in all); the last attempt is kept, and flagged, if it never was quiet.
 */
async function measure(server, kinds, names, into) {
  for (const kind of kinds) {
    let r
    for (let attempt = 1; ; attempt++) {
      const meter = cpuMeter(server.pid)
      r = await load({ url: server.url, kind, next: nameCycle(names), connections: CONNECTIONS, duration: DURATION })
      r.cpu = meter()
      r.attempt = attempt
      log(
        `    ${kind.padEnd(8)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  ` +
          `${r.bytesPerResponse.toFixed(0)} B/response  CPU: server ${(100 * r.cpu.server).toFixed(0)}%, ` +
          `load generator ${(100 * r.cpu.client).toFixed(0)}%, other processes ${(100 * r.cpu.other).toFixed(0)}%`,
      )
      if (!(r.cpu.other > OTHER_CPU_LIMIT)) break
      if (attempt >= Number(opt.attempts)) {
        r.disturbed = true
        log(`    still disturbed after ${attempt} attempts: kept, flagged`)
        break
      }
      log('    disturbed by other processes: measuring again once the machine is quiet')
      await waitQuiet({ timeoutS: Math.min(300, MAX_WAIT) })
      await load({ url: server.url, kind, next: nameCycle(names, 8), connections: CONNECTIONS, duration: 1 }) // back to speed
    }
    into[kind] = r
  }
}

/** The Airlock builds to measure: --variant LABEL=ROOT[@LOG-LEVEL] (repeatable), default this checkout. */
function variants() {
  const list = opt.variant?.length ? opt.variant : [`airlock=${ROOT}`]
  return list.map((v) => {
    const m = /^([\w.-]+)=([^@]+)(?:@(\w+))?$/.exec(v)
    if (!m) throw new Error(`--variant ${v}: expected LABEL=ROOT[@LOG-LEVEL]`)
    return { label: m[1], root: m[2], logLevel: m[3] ?? opt['log-level'] }
  })
}

async function main() {
  mkdirSync(OUT, { recursive: true })
  const vs = variants()
  if (!(await waitQuiet({ timeoutS: MAX_WAIT })))
    log('warning: the machine stayed busy for --max-wait; measuring anyway (disturbed measurements are flagged)')
  buildIfNeeded()
  for (const v of vs) if (!existsSync(join(v.root, 'dist', 'cli', 'main.js'))) throw new Error(`${v.root}: not built`)
  const mainCat = await catalog(MAIN)
  const small = opt['skip-scaling'] ? undefined : await catalog(SMALL)
  const large = opt['skip-scaling'] ? undefined : await catalog(LARGE)
  const reps = []
  for (let rep = 1; rep <= REPS; rep++) {
    const r = { airlock: {}, baseline: {}, small: {}, large: {}, start: {} }
    let bodies
    for (const v of vs) {
      await waitQuiet({ timeoutS: MAX_WAIT })
      log(`repetition ${rep}/${REPS}: ${v.label}, ${MAIN.charms * MAIN.revisions} revisions`)
      const a = await startAirlock(v, mainCat.dir, 'main')
      log(`  listening after ${a.startSeconds.toFixed(1)} s`)
      bodies ??= await captureBodies(a.url, mainCat.names)
      await warm(a.url, ['refresh', 'info'], mainCat.names)
      await measure(a, ['refresh', 'info'], mainCat.names, (r.airlock[v.label] = {}))
      await a.stop()
      r.start[v.label] = { main: a.startSeconds }
    }
    if (!opt['skip-baseline']) {
      await waitQuiet({ timeoutS: MAX_WAIT })
      log(
        `repetition ${rep}/${REPS}: baseline (bodies ${Buffer.byteLength(bodies.refresh)} B refresh, ${Buffer.byteLength(bodies.info)} B info)`,
      )
      const bodiesFile = join(OUT, 'baseline-bodies.json')
      writeFileSync(bodiesFile, JSON.stringify(bodies))
      const b = await startServer([join(HERE, 'baseline-server.mjs'), bodiesFile], {
        logFile: join(OUT, 'baseline.log'),
        msg: 'baseline listening',
      })
      await warm(b.url, ['refresh', 'info'], mainCat.names)
      await measure(b, ['refresh', 'info'], mainCat.names, r.baseline)
      await b.stop()
      r.bodyBytes = { refresh: Buffer.byteLength(bodies.refresh), info: Buffer.byteLength(bodies.info) }
    }
    if (!opt['skip-scaling']) {
      for (const v of vs.slice(0, 1)) {
        // the first variant only: scaling is a property of the catalog code
        for (const [key, cat, size] of [
          ['small', small, SMALL],
          ['large', large, LARGE],
        ]) {
          await waitQuiet({ timeoutS: MAX_WAIT })
          log(`repetition ${rep}/${REPS}: ${v.label}, ${size.charms * size.revisions} revisions (refresh)`)
          const s = await startAirlock(v, cat.dir, key)
          log(`  listening after ${s.startSeconds.toFixed(1)} s`)
          await warm(s.url, ['refresh'], cat.names)
          await measure(s, ['refresh'], cat.names, (r[key][v.label] = {}))
          await s.stop()
          r.start[v.label][key] = s.startSeconds
        }
      }
    }
    reps.push(r)
  }
  report(reps, vs)
}

function report(reps, vs) {
  const at = (r, path) => path.split('.').reduce((o, k) => o?.[k], r)
  const med = (path) => {
    const xs = reps.map((r) => at(r, path)).filter((x) => typeof x === 'number')
    return xs.length ? median(xs) : NaN
  }
  const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : '–')
  const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–')
  const pct = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(0)}%` : '–')
  const rows = []
  const disturbed = (path) => reps.filter((r) => at(r, path)?.disturbed).length
  const row = (what, path) =>
    rows.push(
      `| ${what}${disturbed(path) ? ` (${disturbed(path)} disturbed)` : ''} | ${f0(med(`${path}.rps`))} | ${f2(med(`${path}.p50`))} | ${f2(med(`${path}.p99`))} ` +
        `| ${pct(med(`${path}.cpu.server`))} | ${pct(med(`${path}.cpu.client`))} |`,
    )
  const name = (v) =>
    vs.length === 1 && v.label === 'airlock' ? 'Airlock' : `Airlock (${v.label}${v.logLevel !== 'info' ? `, log ${v.logLevel}` : ''})`
  for (const kind of ['refresh', 'info']) {
    for (const v of vs) row(`${name(v)} ${kind}, ${MAIN.charms * MAIN.revisions} revisions`, `airlock.${v.label}.${kind}`)
    row(`Baseline ${kind} (precomputed body)`, `baseline.${kind}`)
  }
  for (const v of opt['skip-scaling'] ? [] : vs.slice(0, 1)) {
    row(`${name(v)} refresh, ${SMALL.charms * SMALL.revisions} revisions`, `small.${v.label}.refresh`)
    row(`${name(v)} refresh, ${LARGE.charms * LARGE.revisions} revisions`, `large.${v.label}.refresh`)
  }
  // Ratios per repetition, then the median (the paired ratio is steadier than a ratio of medians).
  const ratio = (num, den) => median(reps.map((r) => num(r) / den(r)).filter(Number.isFinite))
  const checks = vs.flatMap((v) => {
    const who = vs.length === 1 ? '' : `${v.label}: `
    return [
      [
        `${who}refresh req/s vs baseline`,
        ratio(
          (r) => r.airlock[v.label]?.refresh?.rps,
          (r) => r.baseline.refresh?.rps,
        ),
        '≥ 0.5',
        (x) => x >= 0.5,
      ],
      [
        `${who}info req/s vs baseline`,
        ratio(
          (r) => r.airlock[v.label]?.info?.rps,
          (r) => r.baseline.info?.rps,
        ),
        '≥ 0.5',
        (x) => x >= 0.5,
      ],
      ...(v === vs[0] && !opt['skip-scaling']
        ? [
            [
              `${who}refresh p50 at ${LARGE.charms * LARGE.revisions} vs ${SMALL.charms * SMALL.revisions} revisions`,
              ratio(
                (r) => r.large[v.label]?.refresh?.p50,
                (r) => r.small[v.label]?.refresh?.p50,
              ),
              '≤ 1.2',
              (x) => x <= 1.2,
            ],
          ]
        : []),
    ]
  })
  const starts = vs
    .map(
      (v) =>
        `${vs.length === 1 ? '' : `${v.label} `}${f2(med(`start.${v.label}.main`))} s at ${MAIN.charms * MAIN.revisions}, ` +
        `${f2(med(`start.${v.label}.large`))} s at ${LARGE.charms * LARGE.revisions} revisions`,
    )
    .join('; ')
  const lines = [
    `Charmhub API, ${CONNECTIONS} connections, ${DURATION} s per measurement, median of ${reps.length} repetitions, AIRLOCK_LOG_LEVEL=${opt['log-level']} unless noted${opt['cpu-prof'] ? ' (CPU-profiled: slower)' : ''}.`,
    `Baseline bodies: refresh ${f0(med('bodyBytes.refresh'))} B, info ${f0(med('bodyBytes.info'))} B. Start-up to listening (catalog load included): ${starts}.`,
    '',
    '| | requests/s | p50 ms | p99 ms | server CPU | load-generator CPU |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    '| target | measured | wanted | |',
    '| --- | ---: | ---: | --- |',
    ...checks.map(
      ([what, x, want, ok]) =>
        `| ${what} | ${Number.isFinite(x) ? `${x.toFixed(2)}×` : '–'} | ${want} | ${Number.isFinite(x) ? (ok(x) ? 'met' : '**missed**') : 'not measured'} |`,
    ),
  ]
  console.log(`\n${lines.join('\n')}\n`)
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  writeFileSync(join(OUT, `results-${stamp}.md`), `${lines.join('\n')}\n`)
  writeFileSync(join(OUT, `results-${stamp}.json`), JSON.stringify({ options: opt, variants: vs, reps }, null, 1))
  log(`written: ${join(OUT, `results-${stamp}.md`)} and .json`)
}

await main()
process.exit(0)
