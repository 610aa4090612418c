// deploy/compose/replicas-minio.yml, checked without Docker (none runs here, so the file has not been
// started for real): the services are there with their health checks, every replica sets only
// variables Airlock knows with values it accepts (blob-store s3 on the MinIO service, with MinIO's
// credentials), shares no volume with the other, reads the signing key from the compose secret
// where Airlock looks for it, and starts only once the bucket exists.
import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load.js'
import { KEYS } from '../../src/config/schema.js'
import { signingKeyPath } from '../../src/admin/tokens.js'

const read = (name: string): string => readFileSync(new URL(`../../${name}`, import.meta.url), 'utf8')

interface Service {
  image?: string
  build?: string
  command?: string[]
  entrypoint?: string[]
  environment?: Record<string, string>
  volumes?: string[]
  secrets?: Array<{ source: string; target: string }>
  depends_on?: Record<string, { condition: string }>
  healthcheck?: { test: string[] }
  networks?: Record<string, { ipv4_address?: string }>
}
const compose = parseYaml(read('deploy/compose/replicas-minio.yml'), { maxAliasCount: -1 }) as {
  services: Record<string, Service>
  secrets: Record<string, { file: string }>
  volumes: Record<string, unknown>
}
const haproxy = read('deploy/compose/haproxy.cfg')
const replicas = Object.keys(compose.services).filter((n) => n.startsWith('airlock-'))
const ENV_VARS = new Set(KEYS.map((k) => k.env))
const withDefaults = (env: Record<string, string>) =>
  Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{[A-Z_0-9]+:-([^}]*)\}/g, '$1')]))

describe('deploy/compose/replicas-minio.yml', () => {
  it('runs two replicas, PostgreSQL, MinIO with its bucket job, and HAProxy, each with a health check', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['airlock-a', 'airlock-b', 'haproxy', 'minio', 'minio-bucket', 'postgres'])
    expect(compose.services['airlock-a']!.build).toBe('../..')
    for (const name of [...replicas, 'postgres', 'minio']) expect(compose.services[name]!.healthcheck?.test, name).toBeDefined()
    for (const name of replicas) expect(String(compose.services[name]!.healthcheck!.test)).toContain('/_status/check')
    expect(compose.services.haproxy!.volumes).toContain('./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro')
    expect(compose.services['minio-bucket']!.depends_on).toEqual({ minio: { condition: 'service_healthy' } })
    expect(compose.services['minio-bucket']!.entrypoint!.join(' ')).toMatch(/mc mb --ignore-existing "local\/\$\$AIRLOCK_S3_BUCKET"/)
  })

  it.each(replicas)('%s sets only known variables, with values loadConfig accepts: blob-store s3 on MinIO', (name) => {
    const s = compose.services[name]!
    const env = withDefaults(s.environment!)
    for (const k of Object.keys(env)) expect(ENV_VARS, `${k} is not in src/config/schema.ts KEYS`).toContain(k)
    const config = loadConfig({ env })
    expect(config).toMatchObject({ host: '0.0.0.0', port: 8080, dataDir: '/var/lib/airlock', blobStore: 's3' })
    expect(config.s3).toMatchObject({ endpoint: 'http://minio:9000', bucket: 'airlock', forcePathStyle: true })
    const minio = withDefaults(compose.services.minio!.environment!)
    expect(config.s3.accessKeyId).toBe(minio.MINIO_ROOT_USER)
    expect(config.s3.secretAccessKey).toBe(minio.MINIO_ROOT_PASSWORD)
    expect(withDefaults(compose.services['minio-bucket']!.environment!).AIRLOCK_S3_BUCKET).toBe(config.s3.bucket)
    expect(new URL(config.databaseUrl!).hostname).toBe('postgres')
    expect(config.trustedProxies).toEqual([compose.services.haproxy!.networks!.airlock!.ipv4_address])
    expect(s.secrets).toEqual([{ source: 'signing-key', target: signingKeyPath(config.dataDir) }])
    expect(s.depends_on).toMatchObject({
      postgres: { condition: 'service_healthy' },
      'minio-bucket': { condition: 'service_completed_successfully' },
    })
  })

  it('gives each replica a volume of its own: blobs are in the bucket', () => {
    const volumes = replicas.map((n) => compose.services[n]!.volumes!)
    expect(volumes.map((v) => v.length)).toEqual(replicas.map(() => 1))
    expect(new Set(volumes.flat()).size).toBe(replicas.length)
  })

  it('takes the signing key from a gitignored file', () => {
    expect(compose.secrets['signing-key']!.file).toBe('./signing.key')
    expect(read('.gitignore').split('\n')).toContain('deploy/compose/signing.key')
  })

  it('gives every service its own address on one network, and HAProxy balances over every replica', () => {
    const addresses = Object.values(compose.services).map((s) => s.networks?.airlock?.ipv4_address)
    expect(addresses.every((a) => a?.startsWith('172.30.81.'))).toBe(true)
    expect(new Set(addresses).size).toBe(addresses.length)
    const servers = [...haproxy.matchAll(/^\s*server (\S+) (\S+):(\d+)/gm)].map((m) => m[1])
    expect(servers).toEqual(replicas)
  })
})
