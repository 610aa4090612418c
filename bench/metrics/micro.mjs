#!/usr/bin/env node
// The per-request costs of counting for /metrics, each alone, in one process (no HTTP), so they can
// be told apart from this shared machine's noise in bench/metrics/run.mjs:
//   * counting one request: prom-client labelled children (counter inc + histogram observe, as
//     before) against RequestCounts (dist/http/request-counts.js);
//   * finding the route's config: Fastify's `request.routeOptions` getter against its route context;
//   * prom-client's default collectors that run between scrapes: the GC observer
//     (PerformanceObserver on 'gc') and the event-loop delay monitor, measured as the slowdown of an
//     allocating, event-loop-turning workload with each switched on.
// Variants alternate within each round; the figure is the median over --rounds.
//
//   npm run build && node bench/metrics/micro.mjs [--rounds 7]
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import Fastify from 'fastify'
import { Counter, Histogram, Registry } from 'prom-client'
import { RequestCounts } from '../../dist/http/request-counts.js'
import { median } from '../lib/processes.mjs'

const { values: opt } = parseArgs({ options: { rounds: { type: 'string', default: '7' } } })
const ROUNDS = Number(opt.rounds)
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 120]
const ROUTES = ['/v2/charms/refresh', '/v2/charms/info/:name', '/v2/snaps/refresh', '/api/v1/charms/download/:file']

/** ns per call of fn(i), over n calls. */
function nsPerCall(fn, n) {
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) fn(i)
  return Number(process.hrtime.bigint() - t0) / n
}

function counting() {
  const registry = new Registry()
  const requests = new Counter({ name: 'r_total', help: 'h', labelNames: ['route', 'status'], registers: [registry] })
  const durations = new Histogram({
    name: 'd_seconds',
    help: 'h',
    labelNames: ['route', 'status'],
    buckets: BUCKETS,
    registers: [registry],
  })
  const children = ROUTES.map((route) => ({
    count: requests.labels({ route, status: '200' }),
    time: durations.labels({ route, status: '200' }),
  }))
  const counts = new RequestCounts(BUCKETS)
  const slots = ROUTES.map((r) => counts.route(r))
  const seconds = (i) => 0.0003 + (i % 17) * 0.0002
  return {
    'prom-client children': (i) => {
      const c = children[i & 3]
      c.count.inc()
      c.time.observe(seconds(i))
    },
    RequestCounts: (i) => counts.observe(slots[i & 3], 200, seconds(i)),
  }
}

async function routeLookup() {
  const app = Fastify()
  let req
  app.get('/v2/charms/info/:name', (r, reply) => {
    req = r
    reply.send('ok')
  })
  await app.inject('/v2/charms/info/x')
  const k = Object.getOwnPropertySymbols(req).find((s) => s.description === 'fastify.context')
  let sink = 0
  return {
    'request.routeOptions.config': () => {
      sink += req.routeOptions.config.url.length
    },
    'route context .config': () => {
      sink += req[k].config.url.length
    },
    sink: () => sink,
  }
}

/** An allocating workload that turns the event loop: ~what a request leaves behind, 20,000 times. */
async function workload() {
  const t0 = process.hrtime.bigint()
  let keep = []
  for (let i = 0; i < 20_000; i++) {
    keep.push({ i, s: `request ${i}`, b: Buffer.allocUnsafe(2048), a: new Array(32).fill(i) })
    if (keep.length > 256) keep = []
    if (i % 16 === 0) await new Promise((r) => setImmediate(r))
  }
  return Number(process.hrtime.bigint() - t0) / 20_000
}

async function collectors() {
  const gc = () => {
    const o = new PerformanceObserver((list) => {
      list.getEntries()
    })
    o.observe({ entryTypes: ['gc'] })
    return () => o.disconnect()
  }
  const lag = () => {
    const h = monitorEventLoopDelay({ resolution: 10 })
    h.enable()
    return () => h.disable()
  }
  const both = () => {
    const a = gc()
    const b = lag()
    return () => {
      a()
      b()
    }
  }
  return { none: () => () => {}, 'GC observer': gc, 'event-loop delay monitor': lag, both }
}

const results = {}
const add = (k, v) => (results[k] ??= []).push(v)
const c = counting()
const r = await routeLookup()
const col = await collectors()
for (const f of [...Object.values(c), r['request.routeOptions.config'], r['route context .config']]) nsPerCall(f, 2e6)
for (let round = 0; round < ROUNDS; round++) {
  const flip = (xs) => (round % 2 ? [...xs].reverse() : xs)
  for (const [k, f] of flip(Object.entries(c))) add(k, nsPerCall(f, 2e6))
  for (const k of flip(['request.routeOptions.config', 'route context .config'])) add(k, nsPerCall(r[k], 2e6))
  for (const [k, on] of flip(Object.entries(col))) {
    const off = on()
    add(`workload, ${k}`, await workload())
    off()
  }
}
void r.sink()
console.log(`median of ${ROUNDS} rounds, node ${process.version}`)
console.log('| what | ns per request | range |\n| --- | ---: | ---: |')
for (const [k, xs] of Object.entries(results))
  console.log(`| ${k} | ${median(xs).toFixed(0)} | ${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)} |`)
