#!/usr/bin/env node
// What counting requests for /metrics costs on the hot paths: the loads of bench/charmhub (Juju's
// refresh and info) and bench/snapstore (snapd's 30-snap refresh) against two or more Airlock
// servers that differ only in a build or an environment variable, e.g. metrics on and off:
//
//   node bench/metrics/run.mjs --variant on=. --variant off=.+AIRLOCK_METRICS=off
//   node bench/metrics/run.mjs --variant before=/tmp/main --variant after=.
//        [--rounds 8] [--duration 5] [--connections 32] [--charms 2000] [--snaps 5000] [--kinds refresh,info,snap-refresh]
//        [--fresh-servers]
//
// Every variant's servers (one on a Charmhub catalog, one on a snap catalog, each on its own copy of
// the seeded data dir) run for the whole bench, idle while another is measured. Each round measures
// every kind on every variant back to back, the variants' order reversed every other round (ABBA),
// so a slow spell of this shared machine falls on both sides of a pair. Per measurement: requests/s
// (autocannon, closed loop) and the server's CPU per request (/proc, all threads). Reported: each
// variant against the first, as the median of the per-round ratios with their range. CPU per
// request is the steadier figure: it does not move when another process takes the load generator's
// core. Two servers of one build and configuration can settle at throughputs apart by more than
// the cost measured here, for the life of the process; --fresh-servers starts new ones for every
// round so that each round's pair is a new draw. Results go to bench/metrics/out/results-<time>.{md,json}.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { cpuMeter, freePort, log, median, probeUrl, startProcess } from '../lib/processes.mjs'
import { parseVariant } from '../lib/variants.mjs'
import { seed as seedCharms } from '../charmhub/seed.mjs'
import { load as charmLoad, nameCycle } from '../charmhub/load.mjs'
import { seed as seedSnaps } from '../snapstore/seed.mjs'
import { cycle, deviceBodies, refreshLoad } from '../snapstore/refresh-load.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const OUT = join(HERE, 'out')

const { values: opt } = parseArgs({
  options: {
    variant: { type: 'string', multiple: true },
    rounds: { type: 'string', default: '8' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
    charms: { type: 'string', default: '2000' },
    snaps: { type: 'string', default: '5000' },
    kinds: { type: 'string', default: 'refresh,info,snap-refresh' },
    'log-level': { type: 'string', default: 'info' },
    'fresh-servers': { type: 'boolean', default: false },
  },
})
const ROUNDS = Number(opt.rounds)
const DURATION = Number(opt.duration)
const CONNECTIONS = Number(opt.connections)
const KINDS = opt.kinds.split(',')

/** --variant LABEL=ROOT[+NAME=VALUE...]: a built checkout and environment variables for its servers. */
function variants() {
  const list = opt.variant ?? []
  if (list.length < 2) throw new Error('give two or more --variant LABEL=ROOT[+NAME=VALUE...]')
  return list.map((v) => {
    const { label, root: given, env } = parseVariant(v)
    const root = resolve(given)
    if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) throw new Error(`--variant ${v}: ${root} is not built (npm run build)`)
    return { label, root, env }
  })
}

async function seeded(name, make) {
  const dir = join(OUT, name)
  if (existsSync(join(dir, 'seed.json'))) return { dir, ...JSON.parse(readFileSync(join(dir, 'seed.json'), 'utf8')) }
  log(`seeding ${name}`)
  rmSync(dir, { recursive: true, force: true })
  const info = await make(dir)
  writeFileSync(join(dir, 'seed.json'), JSON.stringify(info))
  return { dir, ...info }
}

async function startAirlock(v, catalogDir, tag) {
  const dataDir = join(OUT, 'run', `${v.label}-${tag}`)
  rmSync(dataDir, { recursive: true, force: true })
  cpSync(catalogDir, dataDir, { recursive: true })
  const port = await freePort()
  const s = await startProcess(
    process.execPath,
    [join(v.root, 'bin', 'airlock.js'), 'serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir],
    {
      cwd: v.root,
      logFile: join(OUT, `${v.label}-${tag}.log`),
      ready: probeUrl(`http://127.0.0.1:${port}`, '/_status/check'),
      env: { AIRLOCK_LOG_LEVEL: opt['log-level'], ...v.env },
    },
  )
  return { ...s, dataDir }
}

async function measure(server, run) {
  const meter = cpuMeter(server.pid)
  const r = await run()
  const cpu = meter()
  return { rps: r.rps, p50: r.p50, cpuUsPerRequest: (cpu.server * 1e6) / r.rps, other: cpu.other }
}

async function main() {
  const vs = variants()
  mkdirSync(OUT, { recursive: true })
  const charms = await seeded(`charms-${opt.charms}`, (out) => seedCharms({ charms: Number(opt.charms), revisions: 5, out }))
  const snaps = await seeded(`snaps-${opt.snaps}`, (out) => seedSnaps({ snaps: Number(opt.snaps), blobMib: 1, out }))
  const bodies = deviceBodies(snaps.ids, { count: 512, perDevice: 30 })
  const servers = []
  try {
    const startAll = async () => {
      for (const s of servers.splice(0)) await s.stop({ keepLog: false })
      for (const v of vs) {
        v.charm = await startAirlock(v, charms.dir, 'charms')
        v.snap = await startAirlock(v, snaps.dir, 'snaps')
        servers.push(v.charm, v.snap)
        log(`${v.label}: ${v.charm.url} (charms), ${v.snap.url} (snaps) ${JSON.stringify(v.env)}`)
      }
    }
    await startAll()
    const run = {
      refresh: (v, seconds) =>
        charmLoad({ url: v.charm.url, kind: 'refresh', next: nameCycle(charms.names, 1), connections: CONNECTIONS, duration: seconds }),
      info: (v, seconds) =>
        charmLoad({ url: v.charm.url, kind: 'info', next: nameCycle(charms.names, 2), connections: CONNECTIONS, duration: seconds }),
      'snap-refresh': (v, seconds) => refreshLoad({ url: v.snap.url, next: cycle(bodies, 3), connections: CONNECTIONS, duration: seconds }),
    }
    const server = (v, kind) => (kind === 'snap-refresh' ? v.snap : v.charm)
    const warmUp = async (seconds) => {
      for (const v of vs) {
        await charmLoad({
          url: v.charm.url,
          kind: 'refresh',
          next: nameCycle(charms.names, 1),
          connections: CONNECTIONS,
          amount: charms.names.length,
        })
        await charmLoad({
          url: v.charm.url,
          kind: 'info',
          next: nameCycle(charms.names, 2),
          connections: CONNECTIONS,
          amount: charms.names.length,
        })
        await refreshLoad({ url: v.snap.url, next: cycle(bodies, 0), connections: CONNECTIONS, amount: bodies.length })
        for (const k of KINDS) await run[k](v, seconds)
      }
    }
    log('warming up: every name / device once, then 3 s of each kind per variant')
    await warmUp(3)
    const rounds = []
    for (let i = 0; i < ROUNDS; i++) {
      if (opt['fresh-servers'] && i > 0) {
        await startAll()
        await warmUp(1)
      }
      const order = i % 2 ? [...vs].reverse() : vs
      const r = {}
      for (const k of KINDS) {
        r[k] = {}
        for (const v of order) {
          r[k][v.label] = await measure(server(v, k), () => run[k](v, DURATION))
          const m = r[k][v.label]
          log(
            `round ${i + 1}/${ROUNDS} ${k.padEnd(12)} ${v.label.padEnd(8)} ${m.rps.toFixed(0).padStart(6)} req/s  ${m.cpuUsPerRequest.toFixed(1).padStart(6)} µs CPU/request  others ${(100 * m.other).toFixed(0)}%`,
          )
        }
      }
      rounds.push(r)
    }
    report(vs, rounds)
  } finally {
    for (const s of servers) await s.stop({ keepLog: false })
    rmSync(join(OUT, 'run'), { recursive: true, force: true })
  }
}

function report(vs, rounds) {
  const ref = vs[0]
  const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '–')
  const lines = [
    `bench/metrics: ${ROUNDS} rounds × ${DURATION} s per kind and variant, ${CONNECTIONS} connections, ${opt.charms} charms × 5 revisions, ${opt.snaps} snaps, AIRLOCK_LOG_LEVEL=${opt['log-level']}${opt['fresh-servers'] ? ', new servers every round' : ''}, node ${process.version}.`,
    `Variants: ${vs.map((v) => `${v.label} = ${v.root}${Object.keys(v.env).length ? ` ${JSON.stringify(v.env)}` : ''}`).join('; ')}.`,
    '',
    `| kind | variant | req/s (median) | CPU µs/request (median) | req/s vs ${ref.label}: median [min–max] | CPU/request vs ${ref.label}: median [min–max] |`,
    '| --- | --- | ---: | ---: | ---: | ---: |',
  ]
  for (const k of KINDS) {
    for (const v of vs) {
      const rps = median(rounds.map((r) => r[k][v.label].rps))
      const cpu = median(rounds.map((r) => r[k][v.label].cpuUsPerRequest))
      let ratios = ['', '']
      if (v !== ref) {
        ratios = ['rps', 'cpuUsPerRequest'].map((key) => {
          const xs = rounds.map((r) => r[k][v.label][key] / r[k][ref.label][key]).filter(Number.isFinite)
          return `${f(median(xs), 3)} [${f(Math.min(...xs), 2)}–${f(Math.max(...xs), 2)}]`
        })
      }
      lines.push(`| ${k} | ${v.label} | ${f(rps, 0)} | ${f(cpu, 1)} | ${ratios[0]} | ${ratios[1]} |`)
    }
  }
  console.log(`\n${lines.join('\n')}\n`)
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  writeFileSync(join(OUT, `results-${stamp}.md`), `${lines.join('\n')}\n`)
  writeFileSync(
    join(OUT, `results-${stamp}.json`),
    JSON.stringify({ options: opt, variants: vs.map(({ label, root, env }) => ({ label, root, env })), rounds }, null, 1),
  )
  log(`written: ${join(OUT, `results-${stamp}.md`)} and .json`)
}

await main()
process.exit(0)
