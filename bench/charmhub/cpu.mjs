// CPU accounting for bench/charmhub (Linux /proc): how much CPU the server and the load generator
// used during a measurement, and how much went to anything else on the machine (tests, builds and
// other benchmarks sharing the 2 cores), so a disturbed measurement can be noticed and retried.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

const HZ = 100 // USER_HZ: the unit of /proc's CPU times

/** CPU seconds (user + system, all threads) process `pid` has used; NaN when unknown. */
export function processCpuSeconds(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(f[11]) + Number(f[12])) / HZ
  } catch { return NaN }
}

/** CPU seconds the whole machine has spent busy in user and system mode (interrupts excluded). */
export function machineCpuSeconds() {
  try {
    const [user, nice, system] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
    return (user + nice + system) / HZ
  } catch { return NaN }
}

/** Starts accounting; `stop()` returns the cores used by the server, this process and the rest. */
export function cpuMeter(serverPid) {
  const s0 = processCpuSeconds(serverPid)
  const c0 = process.cpuUsage()
  const m0 = machineCpuSeconds()
  const t0 = process.hrtime.bigint()
  return () => {
    const wall = Number(process.hrtime.bigint() - t0) / 1e9
    const c = process.cpuUsage(c0)
    const server = (processCpuSeconds(serverPid) - s0) / wall
    const client = (c.user + c.system) / 1e6 / wall
    const other = Math.max(0, (machineCpuSeconds() - m0) / wall - server - client)
    return { server, client, other }
  }
}

/** Cores the machine spends busy over `seconds` (with our servers idle: everyone else's load). */
export async function machineLoad(seconds = 2) {
  const m0 = machineCpuSeconds()
  await sleep(seconds * 1000)
  return (machineCpuSeconds() - m0) / seconds
}

/** Processes that look like another benchmark (the brief's check), other than this one's. */
export function otherBenchmarks() {
  const r = spawnSync('ps', ['-eo', 'pid,ppid,args'], { encoding: 'utf8' })
  const rows = r.stdout.split('\n').slice(1).filter(Boolean).map((l) => {
    const [pid, ppid] = l.trim().split(/\s+/).map(Number)
    return { pid, ppid, l }
  })
  const parentOf = new Map(rows.map((x) => [x.pid, x.ppid]))
  const ours = new Set([process.pid]) // this process, its ancestors (the shell that started it) and its children
  for (let p = process.ppid; p && !ours.has(p); p = parentOf.get(p)) ours.add(p)
  return rows.filter((x) => /bench|autocannon|farm-bench/.test(x.l) && !ours.has(x.pid) && x.ppid !== process.pid && !/\bps -eo\b/.test(x.l)).map((x) => x.l)
}

/**
 * Waits until the machine is quiet: other processes use at most `maxCores` over a 2 s sample, or
 * over 10 s while another benchmark's processes exist (one that idles between phases, or a fake
 * store left running, does not block; one under load does). False after `timeoutS`.
 */
export async function waitQuiet({ maxCores = 0.15, timeoutS = 1200, log = () => {} } = {}) {
  const t0 = Date.now()
  let said = false
  for (;;) {
    const others = otherBenchmarks()
    const busy = await machineLoad(others.length ? 10 : 2)
    if (busy <= maxCores) return true
    if (Date.now() - t0 > timeoutS * 1000) return false
    if (!said) {
      log(`waiting: other processes use ${busy.toFixed(2)} cores${others.length ? `; benchmarks running:\n${others.join('\n')}` : ''}`)
      said = true
    }
    await sleep(others.length ? 20_000 : 5_000)
  }
}
