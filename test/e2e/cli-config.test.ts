// The built `airlock` CLI as a user runs it: configuration mistakes exit 2 with one line naming the
// key, store-side failures exit 1, and the container's health check works against a real server.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const BIN = join(ROOT, 'bin/airlock.js')
const tmp = mkdtempSync(join(tmpdir(), 'airlock-cli-config-'))

/** The caller's AIRLOCK_* and DATABASE_URL would change what these tests see (CI sets DATABASE_URL). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AIRLOCK_') && k !== 'DATABASE_URL'))
  return { ...env, NO_COLOR: '1', ...extra }
}

function airlock(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: tmp, env: cleanEnv(env), encoding: 'utf8', timeout: 30_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '')

beforeAll(() => {
  // `npm test` builds first; a lone `vitest run` of this file may find no dist/.
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' })
})
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('airlock CLI: configuration and usage errors', () => {
  it('serve --port 70000 exits 2 with one line naming port', () => {
    const r = airlock(['serve', '--port', '70000', '--data-dir', join(tmp, 'never')])
    expect(r.status).toBe(2)
    expect(lines(r.stderr)).toHaveLength(1)
    expect(r.stderr).toMatch(/^airlock: invalid port \(from flag --port\): "70000" is not a port number/)
    expect(existsSync(join(tmp, 'never')), 'nothing created before the config is valid').toBe(false)
  })

  it('refuses a bad value from the environment, naming the variable', () => {
    const r = airlock(['serve', '--data-dir', join(tmp, 'never')], { AIRLOCK_LOG_LEVEL: 'loud' })
    expect(r.status).toBe(2)
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/invalid log-level \(from environment variable AIRLOCK_LOG_LEVEL\)/)])
  })

  it('serve --config /nonexistent exits 2', () => {
    const r = airlock(['serve', '--config', '/nonexistent'])
    expect(r.status).toBe(2)
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/config file \/nonexistent: cannot read it/)])
  })

  it('AIRLOCK_CONFIG naming a missing file exits 2 too', () => {
    expect(airlock(['serve'], { AIRLOCK_CONFIG: '/nonexistent.yaml' }).status).toBe(2)
  })

  it('a config file with an unknown key exits 2 naming it', () => {
    const file = join(tmp, 'typo.yaml')
    writeFileSync(file, 'port: 0\nlimits:\n  max-memberz: 3\n')
    const r = airlock(['serve', '--config', file])
    expect(r.status).toBe(2)
    expect(lines(r.stderr)).toEqual([`airlock: config file ${file}: unknown key "limits.max-memberz"`])
  })

  it('--help exits 0 and lists the commands', () => {
    const r = airlock(['--help'])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/serve/)
    expect(r.stdout).toMatch(/token/)
  })

  it('serve --help documents every flag with its env var', () => {
    const r = airlock(['serve', '--help'])
    expect(r.status).toBe(0)
    for (const flag of ['--config', '--host', '--port', '--data-dir', '--public-url', '--database-url', '--trusted-assertions'])
      expect(r.stdout).toContain(flag)
    for (const env of [
      'AIRLOCK_CONFIG',
      'AIRLOCK_HOST',
      'AIRLOCK_PORT',
      'AIRLOCK_DATA_DIR',
      'AIRLOCK_PUBLIC_URL',
      'DATABASE_URL',
      'AIRLOCK_TRUSTED_ASSERTIONS',
    ])
      expect(r.stdout).toContain(env)
  })

  it('an unknown command exits 2', () => {
    const r = airlock(['frobnicate'])
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/)
  })

  it('an unknown option exits 2', () => {
    const r = airlock(['serve', '--prot', '80'])
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/unknown option '--prot'/)
  })

  it('token create --ttl 5x exits 2 naming --ttl', () => {
    const r = airlock(['token', 'create', '--ttl', '5x', '--data-dir', tmp])
    expect(r.status).toBe(2)
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/invalid --ttl "5x"/)])
  })

  it('token create with an empty data dir exits 2 saying there is no admin token to ask the server with', () => {
    const empty = mkdtempSync(join(tmp, 'empty-'))
    const r = airlock(['token', 'create', '--data-dir', empty])
    expect(r.status).toBe(2)
    expect(r.stdout).toBe('')
    expect(lines(r.stderr)).toEqual([
      `airlock: no admin token: pass --token or AIRLOCK_TOKEN, or --data-dir of the server (no ${join(empty, 'admin.token')})`,
    ])
  })
})

describe('airlock serve: a real start, the container health check, a clean stop', () => {
  const dataDir = join(tmp, 'served')
  let server: ChildProcess
  let stdout = ''
  let port = 0
  // The Dockerfile's own HEALTHCHECK command, run as Docker would (exit 0 healthy, 1 not).
  const healthcheck = (): string[] => {
    const line = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
      .replace(/\\\n/g, ' ')
      .split('\n')
      .find((l) => l.startsWith('HEALTHCHECK '))!
    return JSON.parse(line.slice(line.indexOf('CMD ') + 4)) as string[]
  }
  const runHealthcheck = (): number | null => {
    const [cmd, ...args] = healthcheck()
    expect(cmd).toBe('node')
    return spawnSync(process.execPath, args, { env: cleanEnv({ AIRLOCK_PORT: String(port) }), timeout: 15_000 }).status
  }

  beforeAll(async () => {
    server = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir], {
      cwd: tmp,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    server.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
    })
    server.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
    })
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${stdout}`)), 60_000)
      server.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`server exited ${code}:\n${stdout}`))
      })
      server.stdout!.on('data', () => {
        const m = /"url":"http:\/\/[^"]*?:(\d+)"/.exec(stdout)
        if (m) {
          clearTimeout(timer)
          resolve(Number(m[1]))
        }
      })
    })
  })
  afterAll(() => {
    if (server.exitCode === null) server.kill('SIGKILL')
  })

  it('passes the Dockerfile HEALTHCHECK', () => {
    expect(port).toBeGreaterThan(0)
    expect(runHealthcheck()).toBe(0)
  })

  it('writes an admin token that token create can then use', () => {
    const r = airlock(['token', 'create', '--ttl', '1h', '--json', '--data-dir', dataDir, '--url', `http://127.0.0.1:${port}`])
    expect(r.status).toBe(0)
    const out = JSON.parse(r.stdout) as { token: string; expires: string }
    expect(out.token.split('.')).toHaveLength(3)
    expect(Date.parse(out.expires)).toBeGreaterThan(Date.now())
  })

  it('stops cleanly on SIGTERM, and then fails the health check', async () => {
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)))
    server.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(runHealthcheck()).toBe(1)
  })
})
