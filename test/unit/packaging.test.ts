// The deployment files checked against the code they run: the systemd unit (systemd-analyze
// verify, the sandbox it promises), its environment example (only variables Airlock reads), and the
// Dockerfile (no Docker engine here: the runtime stage is read as text) installing every program
// the server shells out to, running as non-root with a health check, on the supported Node.js.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { KEYS } from '../../src/config/schema.js'

const ROOT = new URL('../../', import.meta.url).pathname
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8')
const unit = read('packaging/airlock.service')
const directive = (name: string) =>
  unit
    .split('\n')
    .filter((l) => l.startsWith(`${name}=`))
    .map((l) => l.slice(name.length + 1))

/** The Debian package each program the server runs comes in. A new spawn needs a row here and a line in the Dockerfile. */
const PACKAGE_OF: Record<string, string> = { unsquashfs: 'squashfs-tools' }

/** Programs src/ starts: the first argument of spawn/spawnSync/execFile, or the string constant it names. */
function spawnedPrograms(): Set<string> {
  const out = new Set<string>()
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name)
      if (statSync(p).isDirectory()) {
        walk(p)
        continue
      }
      if (!p.endsWith('.ts')) continue
      const text = readFileSync(p, 'utf8')
      for (const m of text.matchAll(/\b(?:spawn|spawnSync|execFile|execFileSync)\(\s*([^,)\s]+)/g)) {
        const arg = m[1]!
        if (arg === 'process.execPath') continue // node itself
        const literal = /^['"]([^'"]+)['"]$/.exec(arg)?.[1] ?? new RegExp(`const ${arg}\\s*=\\s*['"]([^'"]+)['"]`).exec(text)?.[1]
        out.add(literal ?? `<unresolved ${arg} in ${p}>`)
      }
    }
  }
  walk(join(ROOT, 'src'))
  return out
}

describe('packaging/airlock.service', () => {
  it('passes systemd-analyze verify without a warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-unit-'))
    // verify checks that ExecStart and EnvironmentFile exist: point them at this checkout.
    writeFileSync(
      join(dir, 'airlock.service'),
      unit
        .replace('/usr/local/bin/airlock', join(ROOT, 'bin/airlock.js'))
        .replace('/etc/airlock/airlock.env', join(ROOT, 'packaging/airlock.env')),
    )
    const r = spawnSync('systemd-analyze', ['verify', join(dir, 'airlock.service')], { encoding: 'utf8' })
    expect(r.error, 'systemd-analyze is missing: apt-get install systemd (scripts/install-test-deps.sh)').toBeUndefined()
    expect(r.stderr.trim()).toBe('')
    expect(r.status).toBe(0)
  })

  it('runs airlock serve directly, sandboxed, as a user of its own', () => {
    expect(directive('ExecStart')).toEqual(['/usr/local/bin/airlock serve'])
    expect(directive('EnvironmentFile')).toEqual(['/etc/airlock/airlock.env'])
    expect(directive('DynamicUser')).toEqual(['yes'])
    for (const [k, v] of [
      ['ProtectSystem', 'strict'],
      ['ReadWritePaths', '/var/lib/airlock'],
      ['NoNewPrivileges', 'yes'],
      ['PrivateTmp', 'yes'],
      ['ProtectHome', 'yes'],
      ['RestrictAddressFamilies', 'AF_INET AF_INET6 AF_UNIX'],
    ] as const) {
      expect(directive(k), k).toEqual([v])
    }
    expect(directive('Environment')).toContain('AIRLOCK_DATA_DIR=/var/lib/airlock')
    // V8 and WebAssembly need writable-then-executable memory.
    expect(directive('MemoryDenyWriteExecute')).toEqual([])
  })

  it('has an environment example naming only variables Airlock reads', () => {
    const known = new Set(KEYS.map((k) => k.env))
    const named = [...read('packaging/airlock.env').matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!)
    expect(named.length).toBeGreaterThan(5)
    for (const name of named) expect(known.has(name), `${name} is no configuration variable`).toBe(true)
  })
})

describe('Dockerfile', () => {
  const text = read('Dockerfile').replace(/\\\n/g, ' ')
  const stages = text.split(/^FROM /m)
  const runtime = stages[stages.length - 1]!

  it('installs every program the server starts', () => {
    const programs = spawnedPrograms()
    expect([...programs].sort()).toEqual(Object.keys(PACKAGE_OF).sort())
    const installs = [...runtime.matchAll(/apt-get install[^\n&;]*/g)].map((m) => m[0]).join(' ')
    for (const p of programs)
      expect(installs, `the runtime stage must apt-get install ${PACKAGE_OF[p]} (for ${p})`).toContain(PACKAGE_OF[p]!)
  })

  it('runs as a non-root user with a health check on /_status/check', () => {
    const users = [...runtime.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]!)
    expect(users.length).toBeGreaterThan(0)
    expect(['root', '0', '0:0']).not.toContain(users[users.length - 1])
    expect(runtime).toMatch(/^HEALTHCHECK .*\/_status\/check/m)
  })

  it('uses the Node.js major the package supports', () => {
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node
    for (const m of text.matchAll(/^FROM node:(\d+)/gm)) expect(engines).toContain(`^${m[1]}.`)
  })
})
