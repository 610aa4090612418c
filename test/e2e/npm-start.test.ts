// `npm start` as a user or a supervisor runs it: a signal sent to the npm process (not to its
// group) stops the server with it, and nothing is left running. npm runs the start script through
// `sh -c`; without the script's `exec`, the shell died on the signal and left the server orphaned.
import { spawnSync } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { removeDir, ROOT, startServer, type RunningServer } from '../support/server-process.js'

/** Pids still in the process group `pgid` (npm's own group: the test starts it detached). */
function groupMembers(pgid: number): number[] {
  const r = spawnSync('ps', ['-o', 'pid=', '-g', String(pgid)], { encoding: 'utf8' })
  return r.stdout
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => n > 0)
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (check()) return true
  return check()
}

let server: RunningServer | undefined
afterEach(async () => {
  if (!server) return
  // Leave nothing behind even when an assertion failed.
  for (const pid of groupMembers(server.proc.pid!)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      /* gone */
    }
  }
  await removeDir(server.dataDir)
  server = undefined
})

describe('npm start', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`stops the server when npm gets ${signal}, leaving no process behind`, async () => {
      server = await startServer({ command: ['npm', 'start', '--'], cwd: ROOT, detached: true, startTimeoutMs: 240_000 })
      const pgid = server.proc.pid!
      expect(groupMembers(pgid).length).toBeGreaterThanOrEqual(2) // npm and the server
      const res = await fetch(`${server.url}/_status/check`)
      expect(res.status).toBe(200)

      const exited = new Promise<number | null>((r) => server!.proc.once('exit', (code, sig) => r(code ?? (sig ? -1 : null))))
      process.kill(pgid, signal)
      await exited
      expect(await until(() => groupMembers(pgid).length === 0, 15_000)).toBe(true)
      expect(server.logs.some((l) => l.includes('"msg":"stopped"'))).toBe(true)
      await expect(fetch(`${server.url}/_status/check`)).rejects.toThrow()
    }, 300_000)
  }
})
