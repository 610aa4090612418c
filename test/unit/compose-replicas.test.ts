// deploy/compose/replicas.yml and its haproxy.cfg, checked without Docker: the services are there,
// every replica sets only variables Airlock knows with values it accepts, trusts exactly HAProxy's
// address, and HAProxy balances over every replica with the health check Airlock answers.
import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load.js'
import { KEYS } from '../../src/config/schema.js'

const read = (name: string): string => readFileSync(new URL(`../../deploy/compose/${name}`, import.meta.url), 'utf8')

interface Service {
  image?: string
  build?: string
  environment?: Record<string, string>
  volumes?: string[]
  depends_on?: Record<string, { condition: string }>
  healthcheck?: { test: string[] }
  networks?: Record<string, { ipv4_address?: string }>
}
const compose = parseYaml(read('replicas.yml'), { maxAliasCount: -1 }) as {
  services: Record<string, Service>
  volumes: Record<string, unknown>
}
const haproxy = read('haproxy.cfg')
const replicas = Object.keys(compose.services).filter((n) => n.startsWith('airlock-'))
const ENV_VARS = new Set(KEYS.map((k) => k.env))
const withDefaults = (env: Record<string, string>) =>
  Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]))

describe('deploy/compose/replicas.yml', () => {
  it('runs two replicas, PostgreSQL and HAProxy', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['airlock-a', 'airlock-b', 'haproxy', 'postgres'])
    expect(compose.services['airlock-a']!.build).toBe('../..')
    expect(compose.services.haproxy!.image).toMatch(/^haproxy:/)
    expect(compose.services.haproxy!.volumes).toContain('./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro')
  })

  it.each(replicas)('%s sets only known variables, with values loadConfig accepts', (name) => {
    const env = withDefaults(compose.services[name]!.environment!)
    for (const k of Object.keys(env)) expect(ENV_VARS, `${k} is not in src/config/schema.ts KEYS`).toContain(k)
    const config = loadConfig({ env })
    expect(config).toMatchObject({ host: '0.0.0.0', port: 8080, dataDir: '/var/lib/airlock' })
    expect(new URL(config.databaseUrl!).hostname).toBe('postgres')
    // Exactly HAProxy's address is trusted.
    expect(config.trustedProxies).toEqual([compose.services.haproxy!.networks!.airlock!.ipv4_address])
    expect(compose.services[name]!.volumes).toContain('airlock-data:/var/lib/airlock')
    expect(String(compose.services[name]!.healthcheck!.test)).toContain('/_status/check')
    expect(compose.services[name]!.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' } })
  })

  it('gives every service its own address on one network', () => {
    const addresses = Object.values(compose.services).map((s) => s.networks?.airlock?.ipv4_address)
    expect(addresses.every((a) => a?.startsWith('172.30.80.'))).toBe(true)
    expect(new Set(addresses).size).toBe(addresses.length)
  })
})

describe('deploy/compose/haproxy.cfg', () => {
  it('balances over every replica on its port, checking /_status/check', () => {
    const servers = [...haproxy.matchAll(/^\s*server (\S+) (\S+):(\d+)/gm)].map((m) => [m[1], m[2], m[3]])
    const port = withDefaults(compose.services['airlock-a']!.environment!).AIRLOCK_PORT
    expect(servers).toEqual(replicas.map((n) => [n, n, port]))
    expect(haproxy).toMatch(/option httpchk GET \/_status\/check/)
    expect(haproxy).toMatch(/default-server check\b/)
  })

  it('says the scheme and host the client used, and retries a refused connection elsewhere', () => {
    expect(haproxy).toMatch(/set-header X-Forwarded-Proto/)
    expect(haproxy).toMatch(/set-header X-Forwarded-Host %\[req\.hdr\(host\)\]/)
    expect(haproxy).toMatch(/option redispatch/)
    expect(haproxy).toMatch(/retry-on conn-failure/)
  })
})
