// Process and CPU plumbing for the benches (Linux /proc): starting servers as separate processes,
// how much CPU each side used during a measurement, and waiting until no other benchmark runs (the
// machine has 2 cores and is shared).
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { createServer } from 'node:net'

const HZ = 100 // USER_HZ: the unit of /proc's CPU times

export const log = (m) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${m}`)

export const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (s.length === 0) return NaN
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

function childrenOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}

/** CPU seconds (user + system, all threads) of `pid`, its live children (nginx's workers) and its reaped ones; NaN when unknown. */
export function treeCpuSeconds(pid) {
  let total = 0
  for (const p of [pid, ...childrenOf(pid)]) {
    try {
      const f = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ')
      // utime + stime, plus cutime + cstime: children it waited for (the fakestore runs unsquashfs).
      total += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / HZ
    } catch {
      if (p === pid) return NaN
    }
  }
  return total
}

/** CPU seconds the whole machine has spent busy in user and system mode (interrupts excluded, as they are from processes' times). */
export function machineCpuSeconds() {
  try {
    const [user, nice, system] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
    return (user + nice + system) / HZ
  } catch {
    return NaN
  }
}

/** Starts accounting; `stop()` returns the cores used by the server (tree), this process and everything else. */
export function cpuMeter(serverPid) {
  const s0 = treeCpuSeconds(serverPid)
  const c0 = process.cpuUsage()
  const m0 = machineCpuSeconds()
  const t0 = process.hrtime.bigint()
  return () => {
    const wall = Number(process.hrtime.bigint() - t0) / 1e9
    const c = process.cpuUsage(c0)
    const server = (treeCpuSeconds(serverPid) - s0) / wall
    const client = (c.user + c.system) / 1e6 / wall
    const other = Math.max(0, (machineCpuSeconds() - m0) / wall - server - client)
    return { server, client, other }
  }
}

async function machineLoad(seconds = 2) {
  const m0 = machineCpuSeconds()
  await sleep(seconds * 1000)
  return (machineCpuSeconds() - m0) / seconds
}

/** Processes that look like another benchmark (`ps aux | grep -E "bench/|autocannon"`), other than this one's. */
export function otherBenchmarks() {
  const r = spawnSync('ps', ['-eo', 'pid,ppid,args'], { encoding: 'utf8' })
  const rows = r.stdout
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((l) => {
      const [pid, ppid] = l.trim().split(/\s+/).map(Number)
      return { pid, ppid, l }
    })
  const parentOf = new Map(rows.map((x) => [x.pid, x.ppid]))
  // Ours: our ancestors (flock, npm, a shell) and our descendants. Not everything below an ancestor:
  // every process descends from pid 1.
  const ancestors = new Set()
  for (let p = process.ppid; p && !ancestors.has(p); p = parentOf.get(p)) ancestors.add(p)
  const isOurs = (pid) => {
    if (ancestors.has(pid)) return true
    for (let p = pid; p; p = parentOf.get(p)) if (p === process.pid) return true
    return false
  }
  // `flock LOCK node bench/…` only waits for the lock (its child, once started, is what measures).
  const waiting = (x) => /^\d+\s+\d+\s+flock\s/.test(x.l.trim())
  return rows
    .filter((x) => /bench\/|autocannon|\bwrk\b/.test(x.l) && !isOurs(x.pid) && !waiting(x) && !/\bps -eo\b/.test(x.l))
    .map((x) => x.l.trim())
}

/**
 * Waits until no other benchmark runs (unless `processes` is false: then only CPU counts, so an idle
 * benchmark that is itself waiting does not block us) and the machine idles below `maxCores`;
 * false after `timeoutS`.
 */
export async function waitQuiet({ maxCores = 0.2, timeoutS = 1200, processes = true } = {}) {
  const t0 = Date.now()
  let said = false
  for (;;) {
    const others = processes ? otherBenchmarks() : []
    const busy = others.length ? NaN : await machineLoad(2)
    if (!others.length && busy <= maxCores) return true
    if (Date.now() - t0 > timeoutS * 1000) return false
    if (!said) {
      log(
        others.length
          ? `waiting: another benchmark runs:\n  ${others.join('\n  ')}`
          : `waiting: the machine is busy (${busy.toFixed(2)} cores in use)`,
      )
      said = true
    }
    await sleep(others.length ? 60_000 : 5_000)
  }
}

const children = new Set()
process.on('exit', () => {
  for (const c of children) {
    try {
      c.kill('SIGKILL')
    } catch {
      /* gone */
    }
  }
})
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130))

/**
 * Starts `cmd args` with stdout/stderr to `logFile`; resolves once `ready(logText)` returns a URL.
 * The result's stop() sends SIGTERM (SIGKILL after 15 s) and removes the log unless `keepLog`.
 */
export async function startProcess(cmd, args, { logFile, ready, env = {}, cwd, timeoutS = 300 }) {
  const fd = openSync(logFile, 'w')
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', fd, fd], env: { ...process.env, ...env } })
  closeSync(fd)
  children.add(child)
  let exited = null
  child.on('exit', (code, signal) => {
    exited = { code, signal }
    children.delete(child)
  })
  const t0 = Date.now()
  for (;;) {
    if (exited)
      throw new Error(`${cmd} ${args.join(' ')} exited (${JSON.stringify(exited)}):\n${readFileSync(logFile, 'utf8').slice(-2000)}`)
    const url = await ready(readFileSync(logFile, 'utf8'))
    if (url) {
      return {
        url,
        pid: child.pid,
        startSeconds: (Date.now() - t0) / 1000,
        async stop({ keepLog = false } = {}) {
          if (!exited) {
            const done = new Promise((r) => child.once('exit', r))
            child.kill('SIGTERM')
            const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
            await done
            clearTimeout(timer)
          }
          if (!keepLog) rmSync(logFile, { force: true })
        },
      }
    }
    if (Date.now() - t0 > timeoutS * 1000) throw new Error(`${cmd} ${args.join(' ')}: not ready after ${timeoutS} s`)
    await sleep(50)
  }
}

/** A TCP port free right now on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

/** ready() that probes `url` + `path` until it answers 200 (for servers that log nothing at startup). */
export const probeUrl = (url, path) => async () => {
  try {
    return (await fetch(`${url}${path}`)).ok ? url : undefined
  } catch {
    return undefined
  }
}

/** ready() for servers that log a JSON line with `msg` and `url`. */
export const jsonLineUrl = (msg) => (text) => {
  const line = text.split('\n').find((l) => l.includes(`"${msg}"`))
  return line ? JSON.parse(line).url : undefined
}
