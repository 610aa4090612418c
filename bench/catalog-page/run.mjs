#!/usr/bin/env node
// The catalog web page under load: p50/p99 latency and requests/s of the list (first and a deep
// page), searches and package pages, against a server holding --packages charms seeded straight
// through SQL by bench/charmhub/seed.mjs (the import API would take far too long).
//
//   npm run build && node bench/catalog-page/run.mjs [--packages 10000] [--duration 20] [--connections 8]
//
// Goal (issue #18): a list page answers in under 50 ms p50 with 10,000 packages. Smoke-run with
// `--packages 300 --duration 2`. Writes bench/catalog-page/out/ (seeded data dir, server log).
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { seed } from '../charmhub/seed.mjs'
import { httpLoad } from '../lib/http-load.mjs'
import { freePort, log, probeUrl, startProcess } from '../lib/processes.mjs'

const ROOT = resolve(new URL('../..', import.meta.url).pathname)
const { values: opts } = parseArgs({
  options: {
    packages: { type: 'string', default: '10000' },
    duration: { type: 'string', default: '20' },
    connections: { type: 'string', default: '8' },
  },
})
const packages = Number(opts.packages)
const duration = Number(opts.duration)
const connections = Number(opts.connections)
const out = join(ROOT, 'bench/catalog-page/out', `catalog-${packages}`)

log(`seeding ${packages} charms into ${out}`)
const info = await seed({ charms: packages, revisions: 1, out })
const names = info.names ?? []
const port = await freePort()
const base = `http://127.0.0.1:${port}`
// Access lines off (warn), as the other benches measure answers rather than log writing.
const server = await startProcess(process.execPath, [join(ROOT, 'bin/airlock.js'), 'serve', '--port', String(port), '--data-dir', out], {
  logFile: join(out, 'server.log'),
  ready: probeUrl(base, '/_status/check'),
  env: { AIRLOCK_LOG_LEVEL: 'warn' },
  cwd: ROOT,
})
try {
  const pages = Math.ceil(packages / 50)
  const pick = (i) => names[Math.floor((i * 7919) % Math.max(1, names.length))] ?? 'postgresql'
  const cases = [
    ['list, first page', [{ method: 'GET', path: '/' }]],
    [`list, page ${Math.ceil(pages / 2)} of ${pages}`, [{ method: 'GET', path: `/?page=${Math.ceil(pages / 2)}` }]],
    ['list, charms only', [{ method: 'GET', path: '/?type=charm&page=2' }]],
    ['search, one word', [{ method: 'GET', path: '/?q=postgresql' }]],
    ['search, two words, few hits', [{ method: 'GET', path: '/?q=redis+k8s' }]],
    ['package pages, 64 names', Array.from({ length: 64 }, (_, i) => ({ method: 'GET', path: `/charms/${encodeURIComponent(pick(i))}` }))],
  ]
  const rows = []
  for (const [what, requests] of cases) {
    // Warm the listing (built once per catalog change) and the texts cache first.
    for (const r of requests) await (await fetch(`${base}${r.path}`)).arrayBuffer()
    const r = await httpLoad({ what, url: base, requests, connections, duration })
    rows.push({ what, p50: r.p50, p99: r.p99, rps: r.rps })
    log(`${what}: p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.rps.toFixed(0)} req/s`)
  }
  console.log(`\n| ${packages} packages | p50 ms | p99 ms | req/s |\n|---|---|---|---|`)
  for (const r of rows) console.log(`| ${r.what} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.rps.toFixed(0)} |`)
  const list = rows[0]
  console.log(`\nlist p50 ${list.p50.toFixed(2)} ms: ${list.p50 < 50 ? 'meets' : 'MISSES'} the 50 ms goal`)
} finally {
  await server.stop({ keepLog: true })
}
