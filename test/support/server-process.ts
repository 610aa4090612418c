// The real airlock server as a child process, and the real CLI, as a user runs them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

export const ROOT = new URL('../../', import.meta.url).pathname
export const BIN = join(ROOT, 'bin/airlock.js')

/** Builds dist/ once if a test runs without `npm test` having built it. */
export function ensureBuilt(): void {
  if (existsSync(join(ROOT, 'dist/cli/main.js'))) return
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' })
  if (r.status !== 0) throw new Error('npm run build failed')
}

export interface RunningServer {
  url: string
  dataDir: string
  proc: ChildProcess
  logs: string[]
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/**
 * `command` replaces `node bin/airlock.js` (e.g. an installed `airlock` binary), `cwd` the working
 * directory; `detached` puts the process in a group of its own, whose id is its pid; `startTimeoutMs`
 * bounds the wait for 'airlock listening' (a first start initialises the embedded database, which takes
 * much longer on a loaded machine).
 */
export async function startServer(
  opts: {
    dataDir?: string
    databaseUrl?: string
    args?: string[]
    env?: Record<string, string>
    command?: string[]
    cwd?: string
    detached?: boolean
    startTimeoutMs?: number
  } = {},
): Promise<RunningServer> {
  if (!opts.command) ensureBuilt()
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'airlock-e2e-')))
  const [cmd, ...pre] = opts.command ?? [process.execPath, BIN, 'serve']
  const args = [
    ...pre,
    '--port',
    '0',
    '--data-dir',
    dataDir,
    ...(opts.databaseUrl ? ['--database-url', opts.databaseUrl] : []),
    ...(opts.args ?? []),
  ]
  const env: Record<string, string> = { ...(process.env as Record<string, string>), AIRLOCK_LOG_LEVEL: 'info', ...opts.env }
  delete env.DATABASE_URL
  const proc = spawn(cmd!, args, { env, cwd: opts.cwd, detached: opts.detached, stdio: ['ignore', 'pipe', 'pipe'] })
  const logs: string[] = []
  const killAll = () => {
    try {
      if (opts.detached) process.kill(-proc.pid!, 'SIGKILL')
      else proc.kill('SIGKILL')
    } catch {
      /* gone */
    }
  }
  const url = await new Promise<string>((resolve, reject) => {
    // A server that did not start in time is killed, not left running after the test.
    const timer = setTimeout(() => {
      killAll()
      reject(new Error(`server did not start:\n${logs.join('\n')}`))
    }, opts.startTimeoutMs ?? 120_000)
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      logs.push(line)
      try {
        const j = JSON.parse(line) as { msg?: string; url?: string }
        if (j.msg === 'airlock listening' && j.url) {
          clearTimeout(timer)
          resolve(j.url)
        }
      } catch {
        /* not JSON */
      }
    })
    createInterface({ input: proc.stderr! }).on('line', (line) => logs.push(line))
    proc.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited ${code}:\n${logs.join('\n')}`))
    })
  })
  return {
    url,
    dataDir,
    proc,
    logs,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null) return proc.exitCode
      const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)))
      proc.kill(signal)
      return exited
    },
  }
}

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `airlock ARGS...` to completion. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  ensureBuilt()
  return new Promise((resolve) => {
    const e: Record<string, string> = { ...(process.env as Record<string, string>), ...env }
    const proc = spawn(process.execPath, [BIN, ...args], { env: e, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    proc.stdout.on('data', (d) => {
      stdout += d
    })
    proc.stderr.on('data', (d) => {
      stderr += d
    })
    proc.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
}
