#!/usr/bin/env node
// Profiles one Airlock server under one kind of load (no baseline, no repetitions): for finding
// where the time goes between full runs of run.mjs. Writes a .cpuprofile and prints its summary.
//
//   node bench/charmhub/profile-one.mjs [--kind refresh|info] [--root .] [--log-level warn] [--duration 8] [--baseline]
// --baseline profiles baseline-server.mjs instead (needs out/baseline-bodies.json from a run.mjs run).
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync, readdirSync, rmSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { load, nameCycle } from './load.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const { values: opt } = parseArgs({
  options: {
    kind: { type: 'string', default: 'refresh' },
    root: { type: 'string', default: join(HERE, '..', '..') },
    'log-level': { type: 'string', default: 'warn' },
    baseline: { type: 'boolean', default: false },
    duration: { type: 'string', default: '8' },
    port: { type: 'string', default: '18931' },
  },
})
const cat = join(HERE, 'out', 'catalog-10000x5')
const names = JSON.parse(readFileSync(join(cat, 'seed.json'), 'utf8')).names
const profDir = join(HERE, 'out', 'prof-one')
rmSync(profDir, { recursive: true, force: true })
const url = `http://127.0.0.1:${opt.port}`
const server = opt.baseline
  ? [join(HERE, 'baseline-server.mjs'), join(HERE, 'out', 'baseline-bodies.json'), opt.port]
  : [join(opt.root, 'bin', 'airlock.js'), 'serve', '--host', '127.0.0.1', '--port', opt.port, '--data-dir', cat]
const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profDir, ...server], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, AIRLOCK_LOG_LEVEL: opt['log-level'] },
})
const probe = opt.baseline ? `${url}/v2/charms/info/x` : `${url}/_status/check`
for (;;) {
  if (
    await fetch(probe).then(
      (r) => r.ok,
      () => false,
    )
  )
    break
  await sleep(100)
}
const next = nameCycle(names)
// As run.mjs does: every name once (the caches fill), then 3 s of load.
await load({ url, kind: opt.kind, next, amount: names.length })
await load({ url, kind: opt.kind, next, duration: 3 })
const r = await load({ url, kind: opt.kind, next, duration: Number(opt.duration) })
console.log(`${opt.kind}: ${Math.round(r.rps)} req/s (profiled), p50 ${r.p50.toFixed(2)} ms`)
const loadEnd = Date.now()
child.kill('SIGINT')
await new Promise((res) => child.once('exit', res))
// Leave out the shutdown (PGlite's checkpoint) that follows the measurement.
const tail = ((Date.now() - loadEnd) / 1000).toFixed(2)
const file = join(profDir, readdirSync(profDir)[0])
spawnSync(
  process.execPath,
  [join(HERE, 'profile-summary.mjs'), file, '--last', String(Number(opt.duration) + Number(tail)), '--but-last', tail, '--top', '25'],
  { stdio: 'inherit' },
)
