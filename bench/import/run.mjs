#!/usr/bin/env node
// bench/import: a generated charm export pushed through the CLI into a running server, against a
// `tar xzf` + `sha256sum` + `sha384sum` baseline over the same file, in the same run.
// See bench/README.md. Usage:
//
//   npm run bench:import [-- --sizes 256MiB,1GiB --reps 3 --level 6]
//
// For each size and each repetition (interleaved, so a slow spell on the machine hits both):
//   airlock   fresh data dir, fresh `airlock serve` (embedded PGlite); once it listens, its peak-RSS
//             counter is reset (/proc/<pid>/clear_refs <- 5), then `airlock push-charms FILE` is timed
//             from spawn to exit; afterwards VmHWM is the server's peak RSS during the push (VmRSS is
//             also polled every 20 ms as a cross-check; the startup peak is recorded apart).
//   baseline  `tar xzf` of the outer tarball into a temp dir, `tar xzf` of each inner tarball, then
//             `sha256sum` and `sha384sum` over the extracted payload files (.charm + resources/*),
//             one after another, timed end to end.
// `sync` runs (untimed) before each timed section so one's dirty pages are not flushed in another's,
// and the run waits (up to --quiet-wait s) for other processes to leave the CPUs alone. CPU seconds
// (user+sys) are recorded for each side, and those used meanwhile by other processes ("others").
// Medians are printed as a table and saved, with every run, to bench/import/out/results-*.json.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { performance } from 'node:perf_hooks'
import { clearInterval, clearTimeout, setInterval } from 'node:timers'
import { makeExport, parseSize } from './make-export.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const OUT = join(HERE, 'out')
const TICK = 100 // USER_HZ: clock ticks per second in /proc on Linux

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '256MiB,1GiB' },
    reps: { type: 'string', default: '3' },
    // gzip level of the generated exports (6: gzip's default, which store-admin exports use)
    level: { type: 'string', default: '6' },
    // Airlock trees (each with bin/ and a built dist/) to benchmark, comma-separated; default this
    // one. Several: each repetition runs each tree in turn, e.g. to measure a patched copy.
    root: { type: 'string', default: resolve(HERE, '..', '..') },
    // Start the server once on the fresh data dir, stop it, and push into a second start: the
    // steady state of a server that is not on its first start (PGlite's initdb retains memory).
    restart: { type: 'boolean', default: false },
    'skip-baseline': { type: 'boolean', default: false },
    // Wait up to this many seconds before each timed section for other processes to use < 10% of
    // the CPUs (over 1 s); 0 to not wait.
    'quiet-wait': { type: 'string', default: '30' },
    'server-arg': { type: 'string', multiple: true, default: [] },
    'node-arg': { type: 'string', multiple: true, default: [] },
  },
})
const SIZES = args.sizes
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean)
const REPS = Number(args.reps)
const ROOTS = args.root.split(',').map((r) => resolve(r.trim()))
const label = (root) => (ROOTS.length === 1 ? 'airlock' : basename(root))

const log = (m) => process.stderr.write(`${m}\n`)
const now = () => performance.now()
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const n = s.length
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
}
const mib = (kb) => kb / 1024
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, ...opts })
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`)
  return r.stdout?.toString() ?? ''
}

// ---- /proc -------------------------------------------------------------------------------------

function procStatus(pid) {
  const out = {}
  try {
    for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
      const m = /^(VmHWM|VmRSS):\s+(\d+) kB/.exec(line)
      if (m) out[m[1]] = Number(m[2])
    }
  } catch {
    /* gone */
  }
  return out
}

const statFields = (path) => readFileSync(path, 'utf8').split(') ')[1].split(' ')

/** utime+stime of a process (all its threads), or of one thread (`<pid>/task/<tid>`), in seconds. */
function procCpu(pid) {
  try {
    const f = statFields(`/proc/${pid}/stat`)
    return (Number(f[11]) + Number(f[12])) / TICK
  } catch {
    return NaN
  }
}

/** CPU seconds of this process's reaped children (cutime+cstime). */
function childrenCpu() {
  const f = statFields('/proc/self/stat')
  return (Number(f[13]) + Number(f[14])) / TICK
}

/** Busy CPU seconds of the whole machine so far, all CPUs (/proc/stat). */
function machineBusy() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  return (f.reduce((a, b) => a + b, 0) - f[3] - (f[4] ?? 0)) / TICK
}

async function waitQuiet() {
  const limit = Number(args['quiet-wait']) * 1000
  if (!(limit > 0)) return
  const ncpu = cpus().length
  const t0 = now()
  for (;;) {
    const b0 = machineBusy()
    const self0 = process.cpuUsage()
    await sleep(1000)
    const self = process.cpuUsage(self0)
    const others = machineBusy() - b0 - (self.user + self.system) / 1e6
    if (others < 0.1 * ncpu) return
    if (now() - t0 > limit) {
      log(`  (others still use ${(others * 100).toFixed(0)}% of a CPU; measuring anyway)`)
      return
    }
  }
}

// ---- setup -------------------------------------------------------------------------------------

function ensureBuilt(root) {
  if (existsSync(join(root, 'dist', 'cli', 'main.js'))) return
  log(`${root}: dist/ missing, running npm run build`)
  run('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' })
}

async function ensureExport(size) {
  const file = join(OUT, `export-${size}-l${args.level}.tar.gz`)
  if (!existsSync(file)) {
    log(`generating ${file} (gzip level ${args.level}) ...`)
    const t = now()
    await makeExport({ out: file, size: parseSize(size), level: Number(args.level) })
    log(`  done in ${((now() - t) / 1000).toFixed(1)} s`)
  }
  return file
}

// ---- airlock -----------------------------------------------------------------------------------

/** Starts `airlock serve`; resolves once it logs "airlock listening". */
async function startServer(root, dataDir) {
  const child = spawn(
    process.execPath,
    [...args['node-arg'], join(root, 'bin', 'airlock.js'), 'serve', '--port', '0', '--data-dir', dataDir, ...args['server-arg']],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stderr = ''
  child.stderr.on('data', (d) => {
    stderr += d
  })
  const lines = createInterface({ input: child.stdout })
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s: ${stderr}`)), 60_000)
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening: ${stderr}`)))
    lines.on('line', (line) => {
      try {
        const j = JSON.parse(line)
        if (j.msg === 'airlock listening') {
          clearTimeout(timer)
          resolveUrl(j.url)
        }
        if (j.level >= 50) log(`  server: ${line.slice(0, 300)}`)
      } catch {
        /* not JSON */
      }
    })
  })
  const stop = () =>
    new Promise((r) => {
      if (child.exitCode !== null || child.signalCode !== null) return r()
      child.once('exit', r)
      child.kill('SIGTERM')
    })
  return { child, url, stop }
}

async function airlockOnce(root, file) {
  const dataDir = await mkdtemp(join(OUT, 'data-'))
  try {
    if (args.restart) {
      const first = await startServer(root, dataDir)
      await first.stop()
    }
    const server = await startServer(root, dataDir)
    try {
      const pid = server.child.pid
      await sleep(1000) // let startup settle
      const startup = procStatus(pid)
      let hwmReset = true
      try {
        await writeFile(`/proc/${pid}/clear_refs`, '5')
      } catch {
        hwmReset = false
      }
      run('sync', [])
      await waitQuiet()
      const before = procStatus(pid)
      let polled = before.VmRSS ?? 0
      const poll = setInterval(() => {
        polled = Math.max(polled, procStatus(pid).VmRSS ?? 0)
      }, 20)
      const serverCpu0 = procCpu(pid)
      const mainCpu0 = procCpu(`${pid}/task/${pid}`)
      const childCpu0 = childrenCpu()
      const busy0 = machineBusy()
      const self0 = process.cpuUsage()
      const t = now()
      const cli = spawn(
        process.execPath,
        [join(root, 'bin', 'airlock.js'), 'push-charms', file, '--url', server.url, '--data-dir', dataDir, '--json'],
        { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
      )
      let stdout = ''
      let stderr = ''
      cli.stdout.on('data', (d) => {
        stdout += d
      })
      cli.stderr.on('data', (d) => {
        stderr += d
      })
      const code = await new Promise((r) => cli.once('exit', r))
      const wall = (now() - t) / 1000
      clearInterval(poll)
      const serverCpu = procCpu(pid) - serverCpu0
      const mainCpu = procCpu(`${pid}/task/${pid}`) - mainCpu0
      const cliCpu = childrenCpu() - childCpu0
      const self = process.cpuUsage(self0)
      const othersCpu = machineBusy() - busy0 - serverCpu - cliCpu - (self.user + self.system) / 1e6
      const after = procStatus(pid)
      if (code !== 0) throw new Error(`push-charms exited ${code}: ${stderr}${stdout}`)
      const report = JSON.parse(stdout)
      const imported = report.flatMap((r) => r.revisions ?? []).filter((r) => r.status === 'imported').length
      if (imported === 0) throw new Error(`push-charms imported nothing: ${stdout}`)
      return {
        wall,
        imported,
        serverCpu,
        mainCpu,
        cliCpu,
        othersCpu,
        startupHwmKb: startup.VmHWM,
        idleRssKb: before.VmRSS,
        peakRssKb: hwmReset ? after.VmHWM : Math.max(polled, after.VmRSS ?? 0),
        polledPeakRssKb: Math.max(polled, after.VmRSS ?? 0),
        hwmReset,
      }
    } finally {
      await server.stop()
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true })
  }
}

// ---- baseline ----------------------------------------------------------------------------------

async function listFiles(dir) {
  const out = []
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(join(e.parentPath ?? e.path, e.name))
  }
  return out
}

async function baselineOnce(file) {
  const dir = await mkdtemp(join(OUT, 'baseline-'))
  try {
    run('sync', [])
    await waitQuiet()
    const cpu0 = childrenCpu()
    const busy0 = machineBusy()
    const self0 = process.cpuUsage()
    const t = now()
    run('tar', ['xzf', file, '-C', dir])
    const inner = (await readdir(dir))
      .filter((n) => n.endsWith('.tar.gz'))
      .map((n) => ({ tgz: join(dir, n), into: join(dir, `${n.slice(0, -'.tar.gz'.length)}.d`) }))
    for (const { tgz, into } of inner) {
      run('mkdir', [into])
      run('tar', ['xzf', tgz, '-C', into])
    }
    const payload = []
    for (const { into } of inner) {
      for (const f of await listFiles(into)) if (f.endsWith('.charm') || f.includes('/resources/')) payload.push(f)
    }
    run('sha256sum', payload)
    run('sha384sum', payload)
    const wall = (now() - t) / 1000
    const cpu = childrenCpu() - cpu0
    const self = process.cpuUsage(self0)
    return { wall, cpu, othersCpu: machineBusy() - busy0 - cpu - (self.user + self.system) / 1e6, files: payload.length }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

// ---- main --------------------------------------------------------------------------------------

function machine() {
  const cpu = cpus()
  return {
    cpus: cpu.length,
    cpuModel: cpu[0]?.model,
    memGiB: +(totalmem() / 1024 ** 3).toFixed(1),
    node: process.version,
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
  }
}

for (const root of ROOTS) ensureBuilt(root)
const m = machine()
log(`machine: ${m.cpus} x ${m.cpuModel}, ${m.memGiB} GiB, node ${m.node}, linux ${m.kernel}`)
const results = []
const f2 = (v, d = 2) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(d))
for (const size of SIZES) {
  const file = await ensureExport(size)
  const airlock = new Map(ROOTS.map((r) => [r, []]))
  const baseline = []
  for (let i = 0; i < REPS; i++) {
    for (const root of ROOTS) {
      const r = await airlockOnce(root, file)
      airlock.get(root).push(r)
      log(
        `  ${size} ${label(root)} #${i + 1}: ${f2(r.wall)} s; cpu server ${f2(r.serverCpu, 1)} (main thread ${f2(r.mainCpu, 1)}) + cli ${f2(r.cliCpu, 1)} s (others ${f2(r.othersCpu, 1)}); peak RSS ${f2(mib(r.peakRssKb), 0)} MiB (idle ${f2(mib(r.idleRssKb), 0)}, polled ${f2(mib(r.polledPeakRssKb), 0)}, startup ${f2(mib(r.startupHwmKb), 0)})`,
      )
    }
    if (!args['skip-baseline']) {
      const r = await baselineOnce(file)
      baseline.push(r)
      log(`  ${size} baseline #${i + 1}: ${f2(r.wall)} s; cpu ${f2(r.cpu, 1)} s (others ${f2(r.othersCpu, 1)})`)
    }
  }
  const exportBytes = Number(run('stat', ['-c', '%s', file]).trim())
  const b = median(baseline.map((r) => r.wall))
  for (const root of ROOTS) {
    const runs = airlock.get(root)
    const med = (f) => median(runs.map(f))
    const a = med((r) => r.wall)
    results.push({
      size,
      root,
      label: label(root),
      file,
      exportBytes,
      level: Number(args.level),
      restart: args.restart,
      airlockWall: a,
      baselineWall: b,
      ratio: a / b,
      serverCpu: med((r) => r.serverCpu),
      cliCpu: med((r) => r.cliCpu),
      baselineCpu: median(baseline.map((r) => r.cpu)),
      peakRssMiB: mib(med((r) => r.peakRssKb)),
      idleRssMiB: mib(med((r) => r.idleRssKb)),
      startupHwmMiB: mib(med((r) => r.startupHwmKb)),
      runs,
      baselineRuns: baseline,
    })
  }
}

const cols = [
  ['size', 7, (r) => r.size],
  ...(ROOTS.length > 1 ? [['tree', Math.max(4, ...ROOTS.map((x) => basename(x).length)), (r) => r.label]] : []),
  ['airlock s', 10, (r) => f2(r.airlockWall)],
  ['baseline s', 11, (r) => f2(r.baselineWall)],
  ['ratio', 6, (r) => f2(r.ratio)],
  ['peak RSS MiB', 13, (r) => f2(r.peakRssMiB, 0)],
  ['idle RSS MiB', 13, (r) => f2(r.idleRssMiB, 0)],
  ['push +MiB', 10, (r) => f2(r.peakRssMiB - r.idleRssMiB, 0)],
  ['startup MiB', 12, (r) => f2(r.startupHwmMiB, 0)],
  ['airlock cpu s', 14, (r) => `${f2(r.serverCpu, 1)}+${f2(r.cliCpu, 1)}`],
  ['baseline cpu s', 15, (r) => f2(r.baselineCpu, 1)],
]
const row = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(cols[i][1]) : String(c).padStart(cols[i][1]))).join('  ')
const head = row(cols.map((c) => c[0]))
const table = [head, '-'.repeat(head.length), ...results.map((r) => row(cols.map((c) => c[2](r))))].join('\n')
process.stdout.write(`
bench/import: medians of ${REPS} run(s); exports gzipped at level ${args.level}; ${args.restart ? 'server restarted once on its fresh data dir before the push' : 'fresh data dir, first server start'}
machine: ${m.cpus} x ${m.cpuModel}, ${m.memGiB} GiB, node ${m.node}
peak RSS = server VmHWM during the push (reset once it listens); idle = its VmRSS just before; push + = peak - idle;
startup = VmHWM before the reset; airlock cpu = server (all threads) + CLI; baseline cpu = tar, gzip, sha256sum, sha384sum
target: ratio <= 0.75; peak RSS <= 256 MiB and flat in export size

${table}
`)
const saved = join(OUT, `results-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
writeFileSync(saved, JSON.stringify({ machine: m, args, results }, null, 2))
log(`\nsaved ${saved}`)
