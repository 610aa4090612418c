// docker-compose.yml and the Dockerfile, checked without Docker: parsed, then held against the
// config table (every variable the airlock service sets must be a key Airlock knows, with a value
// loadConfig accepts).
import { existsSync, readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load.js'
import { KEYS } from '../../src/config/schema.js'

const root = new URL('../../', import.meta.url)
const read = (name: string): string => readFileSync(new URL(name, root), 'utf8')

interface Service {
  image?: string
  build?: unknown
  ports?: string[]
  environment?: Record<string, string | number | boolean | null> | string[]
  volumes?: string[]
  depends_on?: Record<string, { condition: string }> | string[]
  healthcheck?: { test: string[] | string; interval?: string; timeout?: string; retries?: number }
}
interface Compose {
  services: Record<string, Service>
  volumes?: Record<string, unknown>
}

/** Compose's own interpolation, with nothing set in the shell: `${X:-d}` and `${X-d}` give d; `$$` is `$`. */
function interpolate(value: string): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (m, name: string | undefined, dflt: string | undefined) => {
    if (m === '$$') return '$'
    if (dflt === undefined) throw new Error(`\${${name}} has no default: docker compose would warn and use an empty string`)
    return dflt
  })
}

function environment(service: Service): Record<string, string> {
  const env = service.environment ?? {}
  const pairs = Array.isArray(env) ? env.map((e) => e.split(/=(.*)/s).slice(0, 2) as [string, string]) : Object.entries(env)
  return Object.fromEntries(pairs.map(([k, v]) => [k, interpolate(String(v ?? ''))]))
}

const compose = parseYaml(read('docker-compose.yml')) as Compose
const ENV_VARS = new Set(KEYS.map((k) => k.env).concat('AIRLOCK_CONFIG'))

describe('docker-compose.yml', () => {
  it('runs airlock, postgres and registry', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['airlock', 'postgres', 'registry'])
    expect(compose.services.airlock!.build).toBe('.')
    expect(compose.services.postgres!.image).toMatch(/^postgres:15\b/)
    expect(compose.services.registry!.image).toMatch(/^registry:2\b/)
  })

  it.each(['airlock', 'postgres', 'registry'])('gives %s a healthcheck and a named volume', (name) => {
    const service = compose.services[name]!
    const test = service.healthcheck?.test
    expect(Array.isArray(test) && ['CMD', 'CMD-SHELL'].includes(test[0]!), `${name} healthcheck.test`).toBe(true)
    const named = (service.volumes ?? []).map((v) => v.split(':')[0]!).filter((src) => !/^[./~]/.test(src))
    expect(named.length, `${name} named volumes`).toBeGreaterThan(0)
    for (const volume of named) expect(Object.keys(compose.volumes ?? {})).toContain(volume)
  })

  it('checks each service the way its image allows', () => {
    expect(compose.services.postgres!.healthcheck!.test).toContain('pg_isready')
    // node:20-slim has neither curl nor wget.
    expect(compose.services.airlock!.healthcheck!.test).toEqual(expect.arrayContaining(['node']))
    expect(String(compose.services.airlock!.healthcheck!.test)).toContain('/_status/check')
    expect(String(compose.services.registry!.healthcheck!.test)).toContain('/v2/')
  })

  it('has airlock healthcheck code that compiles', () => {
    const test = compose.services.airlock!.healthcheck!.test as string[]
    expect(() => new Function(test[test.indexOf('-e') + 1]!)).not.toThrow()
  })

  it('starts airlock once postgres is healthy', () => {
    expect(compose.services.airlock!.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' } })
  })

  it('keeps airlock data in its volume and publishes port 8080', () => {
    const env = environment(compose.services.airlock!)
    expect(compose.services.airlock!.volumes).toContainEqual(expect.stringMatching(new RegExp(`^[a-z-]+:${env.AIRLOCK_DATA_DIR}$`)))
    expect(compose.services.airlock!.ports!.map(interpolate)).toContain(`8080:${env.AIRLOCK_PORT}`)
  })

  it('sets only environment variables that Airlock knows', () => {
    const names = Object.keys(environment(compose.services.airlock!))
    for (const name of names) expect(ENV_VARS, `${name} is not in src/config/schema.ts KEYS`).toContain(name)
    for (const name of [
      'AIRLOCK_HOST',
      'AIRLOCK_PORT',
      'AIRLOCK_DATA_DIR',
      'AIRLOCK_PUBLIC_URL',
      'DATABASE_URL',
      'AIRLOCK_OCI_REGISTRY_DOMAIN',
      'AIRLOCK_LOG_LEVEL',
    ]) {
      expect(names).toContain(name)
    }
  })

  it('sets values loadConfig accepts, pointing at the other services', () => {
    const env = environment(compose.services.airlock!)
    const config = loadConfig({ env })
    expect(config).toMatchObject({ host: '0.0.0.0', port: 8080, dataDir: '/var/lib/airlock', logLevel: 'info' })
    expect(config.publicUrl).toMatch(/^http:\/\/localhost:8080$/)
    const db = new URL(config.databaseUrl!)
    const pg = environment(compose.services.postgres!)
    expect([db.hostname, db.username, decodeURIComponent(db.password), db.pathname]).toEqual([
      'postgres',
      pg.POSTGRES_USER,
      pg.POSTGRES_PASSWORD,
      `/${pg.POSTGRES_DB}`,
    ])
    expect(config.oci.registryDomain).toBe('registry:5000')
  })
})

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile').replace(/\\\n/g, ' ')
  const instructions = dockerfile
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
  const stages = instructions.filter((l) => /^FROM /i.test(l))
  const last = instructions.slice(instructions.lastIndexOf(stages.at(-1)!))

  it('builds in stages on node:20-slim: npm ci, build, prune', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2)
    for (const from of stages) expect(from).toMatch(/^FROM node:20-slim\b/)
    expect(dockerfile).toMatch(/npm ci\b/)
    expect(dockerfile).toMatch(/npm run build\b/)
    expect(dockerfile).toMatch(/npm prune --omit=dev\b/)
  })

  it('runs `airlock serve` as a non-root user with its data in a volume', () => {
    const user = last.filter((l) => /^USER /.test(l)).at(-1)
    expect(user).toBeDefined()
    expect(user).not.toMatch(/^USER (root|0)\b/)
    expect(last).toContain('VOLUME ["/var/lib/airlock"]')
    expect(last.join('\n')).toMatch(/bin\/airlock\.js/)
    expect(last.join('\n')).toMatch(/"serve"/)
  })

  it('sets defaults loadConfig accepts, listening on every interface', () => {
    const env = Object.fromEntries(
      last.filter((l) => /^ENV /.test(l)).flatMap((l) => [...l.slice(4).matchAll(/([A-Z_]+)=(\S+)/g)].map((m) => [m[1]!, m[2]!])),
    )
    for (const name of Object.keys(env).filter((n) => n !== 'NODE_ENV')) expect(ENV_VARS).toContain(name)
    expect(loadConfig({ env })).toMatchObject({ host: '0.0.0.0', dataDir: '/var/lib/airlock' })
  })

  it('has a HEALTHCHECK on /_status/check using node, whose code compiles', () => {
    const check = last.find((l) => /^HEALTHCHECK /.test(l))!
    expect(check).toContain('/_status/check')
    const cmd = JSON.parse(check.slice(check.indexOf('CMD ') + 4)) as string[]
    expect(cmd.slice(0, 2)).toEqual(['node', '-e'])
    expect(() => new Function(cmd[2]!)).not.toThrow()
  })

  it('copies only files that exist and that .dockerignore lets through', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
    const sources = instructions
      .filter((l) => /^COPY /.test(l) && !/--from=/.test(l))
      .flatMap((l) =>
        l
          .replace(/^COPY\s+(--\S+\s+)*/, '')
          .split(/\s+/)
          .slice(0, -1),
      )
    expect(sources.length).toBeGreaterThan(0)
    for (const src of sources) {
      expect(existsSync(new URL(src, root)), `${src} exists`).toBe(true)
      expect(ignored, `${src} is in .dockerignore`).not.toContain(src.replace(/\/$/, ''))
    }
  })
})
