#!/usr/bin/env node
// Server CPU per cached answer, two Airlock builds side by side: for a change to the answer caches
// (docs/decisions/0020), whose cost is the route's own work on a hit. Both builds run at once, each
// on its own copy of the bench/charmhub and bench/snapstore catalogs (seed them first with those
// benches' run.mjs); load goes to one, then the other, in short slices whose order alternates per
// round, and each slice's figure is the server's CPU time (/proc: user + system) per request. CPU
// time, not requests/s: on a shared machine other processes change throughput far more than they
// change the work a request costs. The answer is the median, over rounds, of the paired ratio.
//
//   node bench/answer-caches/run.mjs --variant before=ROOT --variant after=ROOT [--rounds 8] [--requests 4000] [--connections 16]
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { freePort, log, median, probeUrl, startProcess, treeCpuSeconds } from '../lib/processes.mjs'
import { KINDS, nameCycle } from '../charmhub/load.mjs'
import { cycle, deviceBodies, REFRESH_HEADERS } from '../snapstore/refresh-load.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const OUT = join(HERE, 'out')
const CHARMS = join(HERE, '..', 'charmhub', 'out', 'catalog-10000x5')
const SNAPS = join(HERE, '..', 'snapstore', 'out', 'catalog-5000-64mib')

const { values: opt } = parseArgs({
  options: {
    variant: { type: 'string', multiple: true },
    rounds: { type: 'string', default: '8' },
    requests: { type: 'string', default: '4000' },
    connections: { type: 'string', default: '16' },
  },
})
const ROUNDS = Number(opt.rounds)
const REQUESTS = Number(opt.requests)
const CONNECTIONS = Number(opt.connections)

const variants = (opt.variant ?? []).map((v) => {
  const m = /^([^=]+)=(.+)$/.exec(v)
  if (!m) throw new Error(`--variant ${v}: expected LABEL=ROOT`)
  return { label: m[1], root: m[2] }
})
if (variants.length !== 2) throw new Error('two --variant LABEL=ROOT are needed')
for (const c of [CHARMS, SNAPS]) if (!existsSync(join(c, 'seed.json'))) throw new Error(`${c}: not seeded (run that bench once)`)

/** A private copy of a seeded data dir (the embedded database takes a lock); blobs are shared, read only. */
function copyOf(src, name) {
  const dir = join(OUT, name)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  for (const f of ['db', 'admin.token', 'signing.key'])
    if (existsSync(join(src, f))) cpSync(join(src, f), join(dir, f), { recursive: true })
  if (existsSync(join(src, 'blobs'))) symlinkSync(join(src, 'blobs'), join(dir, 'blobs'))
  return dir
}

async function start(v, dataDir, tag) {
  const port = await freePort()
  return startProcess(
    process.execPath,
    [join(v.root, 'bin', 'airlock.js'), 'serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir],
    { logFile: join(OUT, `${v.label}-${tag}.log`), ready: probeUrl(`http://127.0.0.1:${port}`, '/_status/check') },
  )
}

const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS })

function send(url, r) {
  return new Promise((resolve, reject) => {
    const u = new URL(r.path, url)
    const req = request(
      { agent, host: u.hostname, port: u.port, path: u.pathname + u.search, method: r.method, headers: r.headers },
      (res) => {
        res.on('data', () => {})
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${r.path}: ${res.statusCode}`))))
      },
    )
    req.on('error', reject)
    req.end(r.body)
  })
}

/** `amount` requests from next(), CONNECTIONS at a time; the server's CPU µs per request. */
async function slice(server, next, amount) {
  const cpu0 = treeCpuSeconds(server.pid)
  let left = amount
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (left-- > 0) await send(server.url, next())
    }),
  )
  return ((treeCpuSeconds(server.pid) - cpu0) * 1e6) / amount
}

const charmNames = JSON.parse(readFileSync(join(CHARMS, 'seed.json'), 'utf8')).names
const snapIds = JSON.parse(readFileSync(join(SNAPS, 'seed.json'), 'utf8')).ids
const bodies = deviceBodies(snapIds, { count: 512, perDevice: 30 })
const WORKLOADS = [
  {
    name: 'charmhub refresh',
    catalog: 'charms',
    next: () => {
      const c = nameCycle(charmNames)
      return () => KINDS.refresh.request(c())
    },
    warm: charmNames.length,
  },
  {
    name: 'charmhub info',
    catalog: 'charms',
    next: () => {
      const c = nameCycle(charmNames)
      return () => KINDS.info.request(c())
    },
    warm: charmNames.length,
  },
  {
    name: 'snap refresh (30 snaps)',
    catalog: 'snaps',
    next: () => {
      const c = cycle(bodies)
      return () => ({ method: 'POST', path: '/v2/snaps/refresh', headers: REFRESH_HEADERS, body: c() })
    },
    warm: bodies.length,
  },
]

async function main() {
  mkdirSync(OUT, { recursive: true })
  const servers = {}
  for (const v of variants) {
    servers[v.label] = {
      charms: await start(v, copyOf(CHARMS, `${v.label}-charms`), 'charms'),
      snaps: await start(v, copyOf(SNAPS, `${v.label}-snaps`), 'snaps'),
    }
    log(`${v.label}: listening`)
  }
  const results = []
  try {
    for (const w of WORKLOADS) {
      for (const v of variants) await slice(servers[v.label][w.catalog], w.next(), w.warm)
      const perRound = []
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? variants : [...variants].reverse()
        const us = {}
        for (const v of order) us[v.label] = await slice(servers[v.label][w.catalog], w.next(), REQUESTS)
        perRound.push(us)
        log(`${w.name}, round ${round + 1}: ${variants.map((v) => `${v.label} ${us[v.label].toFixed(0)} µs`).join(', ')}`)
      }
      const [a, b] = variants.map((v) => v.label)
      results.push({
        workload: w.name,
        medians: Object.fromEntries(variants.map((v) => [v.label, median(perRound.map((r) => r[v.label]))])),
        ratio: median(perRound.map((r) => r[b] / r[a])),
      })
    }
  } finally {
    for (const s of Object.values(servers)) {
      await s.charms.stop()
      await s.snaps.stop()
    }
    for (const v of variants) for (const c of ['charms', 'snaps']) rmSync(join(OUT, `${v.label}-${c}`), { recursive: true, force: true })
  }
  const [a, b] = variants.map((v) => v.label)
  console.log(`\nServer CPU per request (median of ${ROUNDS} interleaved rounds of ${REQUESTS} requests, ${CONNECTIONS} connections):\n`)
  console.log(`| workload | ${a} µs | ${b} µs | ${b} / ${a} (median of paired ratios) |`)
  console.log('| --- | ---: | ---: | ---: |')
  for (const r of results)
    console.log(`| ${r.workload} | ${r.medians[a].toFixed(0)} | ${r.medians[b].toFixed(0)} | ${r.ratio.toFixed(3)} |`)
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
