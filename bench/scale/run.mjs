#!/usr/bin/env node
// A million revisions, side by side with a thousand (issue #19.5; bench/README.md, "scale"). For each
// --sizes entry: a fresh PostgreSQL database, migrated by `airlock migrate` and seeded in SQL
// (seed.mjs). Then, in one run, interleaved between the sizes:
//   cold start   spawn of `airlock serve` (dist/, as users run it) until /_status/check answers 200:
//                the whole catalog is loaded before the server listens (--starts rounds, median)
//   RSS          the server's resident set after the start, and its peak (VmHWM) after the loads
//   refresh p50  Charmhub install-by-name (Juju 3.6's body) and snapd's 30-snap auto-refresh, 32
//                connections, --load-s seconds per sample, --rounds samples per size, interleaved
//   propagation  another process commits a change (as replica A's push does) to a random package;
//                the time until this server's Charmhub/snap info shows it (--changes samples, p50)
// Databases are dropped at the end unless --keep.
//
//   npm run build
//   node bench/scale/run.mjs --database-url postgres://postgres@127.0.0.1:5432/postgres [--sizes 1000,1000000]
import { createHash, randomBytes } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { freePort, log, median, probeUrl, startProcess } from '../lib/processes.mjs'
import { httpLoad } from '../lib/http-load.mjs'
import { rng } from '../lib/rng.mjs'
import { refreshBody as charmRefreshBody } from '../charmhub/load.mjs'
import { REFRESH_HEADERS, refreshBody as snapRefreshBody } from '../snapstore/refresh-load.mjs'
import { packageCount, seedScale } from './seed.mjs'

const { values: opt } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    sizes: { type: 'string', default: '1000,1000000' },
    starts: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    'load-s': { type: 'string', default: '5' },
    changes: { type: 'string', default: '30' },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'string' },
    'node-args': { type: 'string', default: '' },
  },
})
if (!opt['database-url']) {
  console.error(
    'usage: node bench/scale/run.mjs --database-url postgres://... [--sizes 1000,1000000] [--starts 2] [--rounds 3] [--load-s 5] [--changes 30] [--keep]',
  )
  process.exit(2)
}
const ROOT = resolve(new URL('../..', import.meta.url).pathname)
const SIZES = opt.sizes.split(',').map(Number)
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]
}
const mib = (kb) => kb / 1024
const status = (pid) => {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1])
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') }
}

const admin = new pg.Client({ connectionString: opt['database-url'] })
await admin.connect()
const dataDir = mkdtempSync(join(tmpdir(), 'airlock-bench-scale-'))
const sets = []
const servers = new Set()
try {
  // --reuse name,name: databases a --keep run left, one per --sizes entry, seeded already.
  const reused = opt.reuse ? opt.reuse.split(',') : []
  for (const [i, size] of SIZES.entries()) {
    if (reused[i]) {
      const url = new URL(opt['database-url'])
      url.pathname = `/${reused[i]}`
      sets.push({ size, name: reused[i], url: url.toString(), reused: true, starts: [], startRss: [], charm: [], snap: [], prop: [] })
      continue
    }
    const name = `airlock_scale_${size}_${randomBytes(3).toString('hex')}`
    await admin.query(`CREATE DATABASE ${name}`)
    const url = new URL(opt['database-url'])
    url.pathname = `/${name}`
    sets.push({ size, name, url: url.toString(), starts: [], startRss: [], charm: [], snap: [], prop: [] })
    const m = spawnSync(
      process.execPath,
      [join(ROOT, 'bin/airlock.js'), 'migrate', '--database-url', url.toString(), '--data-dir', dataDir],
      { encoding: 'utf8' },
    )
    if (m.status !== 0) throw new Error(`migrate: ${m.stderr}`)
    const c = new pg.Client({ connectionString: url.toString() })
    await c.connect()
    // Seeding only: no triggers (catalog change rows) and no foreign-key checks on a million rows.
    await c.query('SET session_replication_role = replica')
    log(`seeding ${size} revisions (${packageCount(size)} packages)`)
    const s = await seedScale(c, size, log)
    log(`seeded ${s.revisions} revisions in ${s.seconds.toFixed(1)} s`)
    await c.end()
  }
  const nodeArgs = opt['node-args'] ? opt['node-args'].split(' ') : []
  const serve = async (set, tag) => {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const s = await startProcess(
      process.execPath,
      [
        ...nodeArgs,
        join(ROOT, 'bin/airlock.js'),
        'serve',
        '--port',
        String(port),
        '--data-dir',
        join(dataDir, set.name),
        '--database-url',
        set.url,
      ],
      {
        env: { AIRLOCK_LOG_LEVEL: 'warn', AIRLOCK_GC_INTERVAL: 'off' },
        logFile: join(dataDir, `${set.name}-${tag}.log`),
        ready: probeUrl(url, '/_status/check'),
        timeoutS: 900,
      },
    )
    servers.add(s)
    return s
  }
  const running = new Map()
  const STARTS = Number(opt.starts)
  for (let round = 0; round < STARTS; round++) {
    for (const set of SIZES.map((size) => sets.find((x) => x.size === size))) {
      const s = await serve(set, `start${round}`)
      set.starts.push(s.startSeconds)
      set.startRss.push(mib(status(s.pid).rss))
      log(`${set.size} revisions: cold start ${s.startSeconds.toFixed(1)} s, RSS ${mib(status(s.pid).rss).toFixed(0)} MiB`)
      if (round === STARTS - 1) running.set(set, s)
      else {
        await s.stop()
        servers.delete(s)
      }
    }
  }

  const random = rng(19)
  const bodies = (set) => {
    const P = packageCount(set.size)
    const charms = []
    const snaps = []
    for (let i = 0; i < 2000; i++) {
      charms.push(charmRefreshBody(`charm-${2 * Math.floor(random() * Math.floor(P / 2))}`))
      const ids = []
      for (let k = 0; k < 30; k++) ids.push(md5(`pkg${2 * Math.floor(random() * Math.floor(P / 2)) + 1}`))
      snaps.push(snapRefreshBody(ids))
    }
    return { charms, snaps }
  }
  const cycle = (list) => {
    let i = 0
    return () => list[i++ % list.length]
  }
  const ROUNDS = Number(opt.rounds)
  const LOAD_S = Number(opt['load-s'])
  const loads = new Map(sets.map((set) => [set, bodies(set)]))
  // Warm-up: texts are read from the database on first use (a cold server's first answers), then kept.
  for (const set of sets) {
    const s = running.get(set)
    const b = loads.get(set)
    for (const [path, list, headers] of [
      ['/v2/charms/refresh', b.charms, { 'content-type': 'application/json' }],
      ['/v2/snaps/refresh', b.snaps, REFRESH_HEADERS],
    ]) {
      const next = cycle(list)
      await httpLoad({
        what: `warm-up ${path}`,
        url: s.url,
        connections: 32,
        amount: list.length,
        requests: [{ method: 'POST', path, headers, setupRequest: (r) => ({ ...r, body: next() }) }],
      })
    }
    log(`${set.size} revisions: warmed up`)
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const set of sets) {
      const s = running.get(set)
      const b = loads.get(set)
      const nextCharm = cycle(b.charms)
      const charm = await httpLoad({
        what: 'charmhub refresh',
        url: s.url,
        connections: 32,
        duration: LOAD_S,
        requests: [
          {
            method: 'POST',
            path: '/v2/charms/refresh',
            headers: { 'content-type': 'application/json' },
            setupRequest: (r) => ({ ...r, body: nextCharm() }),
          },
        ],
      })
      const nextSnap = cycle(b.snaps)
      const snap = await httpLoad({
        what: 'snap refresh',
        url: s.url,
        connections: 32,
        duration: LOAD_S,
        requests: [
          { method: 'POST', path: '/v2/snaps/refresh', headers: REFRESH_HEADERS, setupRequest: (r) => ({ ...r, body: nextSnap() }) },
        ],
      })
      set.charm.push(charm.p50)
      set.snap.push(snap.p50)
      log(
        `${set.size} revisions round ${round + 1}: charmhub refresh p50 ${charm.p50.toFixed(2)} ms (${charm.rps.toFixed(0)}/s), snap refresh (30 snaps) p50 ${snap.p50.toFixed(2)} ms (${snap.rps.toFixed(0)}/s)`,
      )
    }
  }

  for (const set of sets) {
    const s = running.get(set)
    const writer = new pg.Client({ connectionString: set.url })
    await writer.connect()
    const P = packageCount(set.size)
    for (let k = 0; k < Number(opt.changes); k++) {
      const p = Math.floor(random() * P)
      const summary = `changed ${k} ${randomBytes(4).toString('hex')}`
      const path = p % 2 === 0 ? `/v2/charms/info/charm-${p}?fields=result.summary` : `/v2/snaps/info/snap-${p}?fields=summary`
      const headers = p % 2 === 0 ? {} : { 'snap-device-series': '16' }
      await writer.query('UPDATE packages SET summary = $1 WHERE id = md5($2)', [summary, `pkg${p}`])
      const t = performance.now()
      for (;;) {
        const text = await (await fetch(`${s.url}${path}`, { headers })).text()
        if (text.includes(summary)) break
        if (performance.now() - t > 10_000) throw new Error(`${set.size}: change not served after 10 s: ${text.slice(0, 200)}`)
        await sleep(5)
      }
      set.prop.push(performance.now() - t)
      await sleep(100)
    }
    await writer.end()
    set.hwm = mib(status(s.pid).hwm)
    set.rss = mib(status(s.pid).rss)
  }

  const base = sets[0]
  console.log(
    '\n| revisions | cold start s (median) | RSS after start MiB | peak RSS MiB | charmhub refresh p50 ms | snap refresh p50 ms | propagation p50 / p95 ms |',
  )
  console.log('|---:|---:|---:|---:|---:|---:|---:|')
  for (const set of sets) {
    const ratio = (x, y) => (set === base ? '' : ` (${(x / y).toFixed(2)}×)`)
    const [c, sn] = [median(set.charm), median(set.snap)]
    console.log(
      `| ${set.size.toLocaleString('en')} | ${median(set.starts).toFixed(1)} | ${median(set.startRss).toFixed(0)} | ${set.hwm.toFixed(0)} | ${c.toFixed(2)}${ratio(c, median(base.charm))} | ${sn.toFixed(2)}${ratio(sn, median(base.snap))} | ${pct(set.prop, 0.5).toFixed(0)} / ${pct(set.prop, 0.95).toFixed(0)} |`,
    )
  }
  console.log(`\nstarts: ${sets.map((s) => `${s.size}: ${s.starts.map((x) => x.toFixed(1)).join(', ')} s`).join('; ')}`)
} finally {
  for (const s of servers) await s.stop({ keepLog: true }).catch(() => {})
  if (!opt.keep)
    for (const set of sets.filter((x) => !x.reused))
      await admin.query(`DROP DATABASE IF EXISTS ${set.name} WITH (FORCE)`).catch((e) => console.error(`drop ${set.name}: ${e.message}`))
  else console.log(`kept: ${sets.map((s) => s.url).join(' ')}`)
  await admin.end()
  rmSync(dataDir, { recursive: true, force: true })
}

function md5(s) {
  return createHash('md5').update(s).digest('hex')
}
