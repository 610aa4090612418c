// Configuration: precedence, refusals that name the key, size/duration parsing, the public URL, and
// the example file in config/ kept in step with the KEYS table.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, publicUrlOf } from '../../src/config/load.js'
import { KEYS, type Config } from '../../src/config/schema.js'
import { formatBytes, parseDuration, parseSize } from '../../src/config/size.js'

const EXAMPLE = new URL('../../config/airlock.example.yaml', import.meta.url).pathname
const dir = mkdtempSync(join(tmpdir(), 'airlock-config-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let n = 0
function yamlFile(text: string): string {
  const file = join(dir, `c${n++}.yaml`)
  writeFileSync(file, text)
  return file
}

/** The ConfigError message of a load that must fail. */
function refusal(load: () => unknown): string {
  try {
    load()
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as Error).message
  }
  throw new Error('expected loadConfig to throw')
}

describe('loadConfig precedence: default < file < env < flag', () => {
  const file = yamlFile('port: 1111\nhost: 10.0.0.1\nlog-level: warn\nlimits:\n  max-members: 5\n')

  it('uses the defaults with no file, env or flags', () => {
    const c = loadConfig({ env: {} })
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      dataDir: './data',
      publicUrl: undefined,
      databaseUrl: undefined,
      logLevel: 'info',
      trustedAssertions: [],
    })
    expect(c.oci).toEqual({ registryDomain: undefined, username: undefined, password: undefined })
    expect(c.limits).toEqual({
      uploadMaxBytes: 64 * 2 ** 30,
      maxMemberPathBytes: 1024,
      maxNestingDepth: 8,
      maxMembers: 20000,
      maxUnpackedBytes: 64 * 2 ** 30,
      maxExpansionRatio: 100,
      ratioGraceBytes: 64 * 2 ** 20,
      maxMetadataBytes: 16 * 2 ** 20,
    })
  })

  it('collects garbage every 24h by default; gc.interval takes a duration, or 0/off to disable', () => {
    expect(loadConfig({ env: {} }).gc).toEqual({ intervalMs: 24 * 3600 * 1000 })
    expect(loadConfig({ env: { AIRLOCK_GC_INTERVAL: '30m' } }).gc.intervalMs).toBe(30 * 60 * 1000)
    expect(loadConfig({ file: yamlFile('gc:\n  interval: 7d\n'), env: {} }).gc.intervalMs).toBe(7 * 86400 * 1000)
    expect(loadConfig({ env: { AIRLOCK_GC_INTERVAL: 'off' } }).gc.intervalMs).toBe(0)
    expect(loadConfig({ file: yamlFile('gc:\n  interval: 0\n'), env: {} }).gc.intervalMs).toBe(0)
    expect(refusal(() => loadConfig({ env: { AIRLOCK_GC_INTERVAL: 'daily' } }))).toMatch(
      /AIRLOCK_GC_INTERVAL.*daily|daily.*AIRLOCK_GC_INTERVAL/,
    )
    expect(refusal(() => loadConfig({ file: yamlFile('gc:\n  interval: -1h\n'), env: {} }))).toMatch(/gc\.interval/)
  })

  it('lets the file override the defaults', () => {
    expect(loadConfig({ file, env: {} })).toMatchObject({
      port: 1111,
      host: '10.0.0.1',
      logLevel: 'warn',
      limits: { maxMembers: 5, maxNestingDepth: 8 },
    })
  })

  it('lets env override the file', () => {
    const c = loadConfig({ file, env: { AIRLOCK_PORT: '2222', AIRLOCK_LIMITS_MAX_MEMBERS: '6' } })
    expect(c).toMatchObject({ port: 2222, host: '10.0.0.1', limits: { maxMembers: 6 } })
  })

  it('lets flags override env', () => {
    const c = loadConfig({ file, env: { AIRLOCK_PORT: '2222', AIRLOCK_HOST: '10.0.0.2' }, flags: { port: '3333' } })
    expect(c).toMatchObject({ port: 3333, host: '10.0.0.2' })
  })

  it('ignores empty env values and undefined flags', () => {
    expect(loadConfig({ file, env: { AIRLOCK_PORT: '' }, flags: { port: undefined } }).port).toBe(1111)
  })

  it('reads the file named by AIRLOCK_CONFIG when no file is given', () => {
    expect(loadConfig({ env: { AIRLOCK_CONFIG: file } }).port).toBe(1111)
  })

  it('maps every env variable and flag in KEYS', () => {
    const env = {
      AIRLOCK_OCI_REGISTRY_DOMAIN: 'reg.local:5000',
      AIRLOCK_OCI_REGISTRY_USERNAME: 'u',
      AIRLOCK_OCI_REGISTRY_PASSWORD: 'p',
      AIRLOCK_TRUSTED_ASSERTIONS: 'a.account, b.account-key',
      DATABASE_URL: 'postgresql://x@db/airlock',
    }
    const c = loadConfig({ env, flags: { dataDir: '/srv/airlock', publicUrl: 'https://store.example/' } })
    expect(c).toMatchObject({
      dataDir: '/srv/airlock',
      publicUrl: 'https://store.example',
      databaseUrl: 'postgresql://x@db/airlock',
      oci: { registryDomain: 'reg.local:5000', username: 'u', password: 'p' },
      trustedAssertions: ['a.account', 'b.account-key'],
    })
  })

  it('returns a config frozen all the way down', () => {
    const c = loadConfig({ env: {} })
    expect(Object.isFrozen(c) && Object.isFrozen(c.limits) && Object.isFrozen(c.oci) && Object.isFrozen(c.trustedAssertions)).toBe(true)
  })

  it('accepts an empty file and an empty section', () => {
    expect(loadConfig({ file: yamlFile(''), env: {} }).port).toBe(8080)
    expect(loadConfig({ file: yamlFile('# nothing\noci-registry:\nlimits:\n'), env: {} }).oci.registryDomain).toBeUndefined()
  })
})

describe('loadConfig refusals name the key', () => {
  it('refuses an unknown key, top-level or nested', () => {
    expect(refusal(() => loadConfig({ file: yamlFile('prot: 80\n'), env: {} }))).toMatch(/unknown key "prot"/)
    expect(refusal(() => loadConfig({ file: yamlFile('limits:\n  max-memberz: 3\n'), env: {} }))).toMatch(
      /unknown key "limits.max-memberz"/,
    )
    expect(refusal(() => loadConfig({ file: yamlFile('oci-registry:\n  domain: r:5000\n  token: x\n'), env: {} }))).toMatch(
      /unknown key "oci-registry.token"/,
    )
  })

  it('refuses a section that is not a mapping', () => {
    expect(refusal(() => loadConfig({ file: yamlFile('limits: 5\n'), env: {} }))).toMatch(/"limits" must be a mapping/)
  })

  it('refuses a missing file, bad YAML and a non-mapping document', () => {
    expect(refusal(() => loadConfig({ file: join(dir, 'absent.yaml'), env: {} }))).toMatch(/absent\.yaml: cannot read it \(ENOENT\)/)
    expect(refusal(() => loadConfig({ file: yamlFile('port: [1\n'), env: {} }))).toMatch(/invalid YAML/)
    expect(refusal(() => loadConfig({ file: yamlFile('- port\n'), env: {} }))).toMatch(/top level must be a mapping/)
  })

  it.each([
    ['port', { flags: { port: '70000' } }, /^invalid port \(from flag --port\): "70000"/],
    ['port', { env: { AIRLOCK_PORT: '80x' } }, /^invalid port \(from environment variable AIRLOCK_PORT\)/],
    ['log-level', { env: { AIRLOCK_LOG_LEVEL: 'loud' } }, /^invalid log-level .*"loud" is not one of fatal/],
    ['public-url', { flags: { publicUrl: 'ftp://x' } }, /^invalid public-url .*"ftp:\/\/x" is not an http:\/\/ or https:\/\/ URL/],
    ['database-url', { env: { DATABASE_URL: 'mysql://x' } }, /^invalid database-url .*"mysql:\/\/x"/],
    [
      'limits.max-unpacked-bytes',
      { env: { AIRLOCK_LIMITS_MAX_UNPACKED_BYTES: '12 parsecs' } },
      /^invalid limits.max-unpacked-bytes .*"12 parsecs" is not a size/,
    ],
    ['oci-registry.domain', { env: { AIRLOCK_OCI_REGISTRY_DOMAIN: 'https://reg/' } }, /^invalid oci-registry.domain/],
    ['limits.max-nesting-depth', { env: { AIRLOCK_LIMITS_MAX_NESTING_DEPTH: '0' } }, /^invalid limits.max-nesting-depth/],
    ['host', { flags: { host: ' ' } }, /^invalid host/],
    [
      'blob-store',
      { env: { AIRLOCK_BLOB_STORE: 'nfs' } },
      /^invalid blob-store \(from environment variable AIRLOCK_BLOB_STORE\): "nfs" is not fs or s3/,
    ],
    ['s3.bucket', { env: { AIRLOCK_S3_BUCKET: 'My_Bucket' } }, /^invalid s3.bucket .*"My_Bucket" is not an S3 bucket name/],
    ['s3.bucket', { env: { AIRLOCK_S3_BUCKET: 'ab' } }, /^invalid s3.bucket/],
    ['s3.endpoint', { env: { AIRLOCK_S3_ENDPOINT: 's3.example:9000' } }, /^invalid s3.endpoint .*is not an http:\/\/ or https:\/\/ URL/],
    ['s3.region', { env: { AIRLOCK_S3_REGION: 'EU West' } }, /^invalid s3.region/],
    [
      's3.secret-access-key',
      { env: { AIRLOCK_S3_SECRET_ACCESS_KEY: 'with space' } },
      /^invalid s3.secret-access-key \(from environment variable AIRLOCK_S3_SECRET_ACCESS_KEY\): the value given is not/,
    ],
    ['s3.force-path-style', { env: { AIRLOCK_S3_FORCE_PATH_STYLE: 'maybe' } }, /^invalid s3.force-path-style/],
    ['s3.redirect', { env: { AIRLOCK_S3_REDIRECT: 'sometimes' } }, /^invalid s3.redirect/],
  ] as const)('refuses a bad %s', (_key, sources, message) => {
    const text = refusal(() => loadConfig({ env: {}, ...sources }))
    expect(text).toMatch(message)
    expect(text).not.toContain('\n')
  })

  it('s3 settings: read from env and file; blob-store s3 requires the bucket and both keys', () => {
    const env = {
      AIRLOCK_BLOB_STORE: 's3',
      AIRLOCK_S3_ENDPOINT: 'http://127.0.0.1:7480/',
      AIRLOCK_S3_BUCKET: 'airlock-blobs',
      AIRLOCK_S3_ACCESS_KEY_ID: 'AK',
      AIRLOCK_S3_SECRET_ACCESS_KEY: 'SK',
      AIRLOCK_S3_FORCE_PATH_STYLE: 'true',
      AIRLOCK_S3_REDIRECT: 'on',
    }
    expect(loadConfig({ env })).toMatchObject({
      blobStore: 's3',
      s3: {
        endpoint: 'http://127.0.0.1:7480',
        bucket: 'airlock-blobs',
        region: 'us-east-1',
        accessKeyId: 'AK',
        secretAccessKey: 'SK',
        forcePathStyle: true,
        redirect: true,
      },
    })
    expect(loadConfig({ env: {} })).toMatchObject({ blobStore: 'fs', s3: { forcePathStyle: false, redirect: false } })
    const file = yamlFile('blob-store: s3\ns3:\n  bucket: b-1\n  access-key-id: A\n  secret-access-key: S\n  region: eu-west-1\n')
    expect(loadConfig({ file, env: {} }).s3).toMatchObject({ bucket: 'b-1', region: 'eu-west-1' })
    const { AIRLOCK_S3_BUCKET: _b, ...noBucket } = env
    expect(refusal(() => loadConfig({ env: noBucket }))).toBe('blob-store is s3 but s3.bucket (AIRLOCK_S3_BUCKET) is not set')
    const { AIRLOCK_S3_SECRET_ACCESS_KEY: _s, ...noSecret } = env
    expect(refusal(() => loadConfig({ env: noSecret }))).toBe(
      'blob-store is s3 but s3.secret-access-key (AIRLOCK_S3_SECRET_ACCESS_KEY) is not set',
    )
  })

  it('names the file a bad value came from', () => {
    const file = yamlFile('limits:\n  ratio-grace-bytes: 12 parsecs\n')
    expect(refusal(() => loadConfig({ file, env: {} }))).toBe(
      `invalid limits.ratio-grace-bytes (from config file ${file}): "12 parsecs" is not a size such as 64MiB`,
    )
  })
})

describe('parseSize', () => {
  it.each([
    [0, 0],
    [1048576, 1048576],
    ['1048576', 1048576],
    ['512B', 512],
    ['1k', 1000],
    ['2KB', 2000],
    ['64MiB', 64 * 2 ** 20],
    ['1.5GB', 1.5e9],
    ['64GiB', 64 * 2 ** 30],
    [' 3 tib ', 3 * 2 ** 40],
    ['1TB', 1e12],
  ])('parses %j as %d', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes)
  })

  it.each([['12 parsecs'], [''], ['GiB'], ['-1'], ['1e3'], [-5], [1.5], [null], [undefined], [true], ['99999999999999TiB']])(
    'refuses %j',
    (text) => {
      expect(parseSize(text)).toBeUndefined()
    },
  )

  it('formats bytes for messages', () => {
    expect([formatBytes(512), formatBytes(1536), formatBytes(64 * 2 ** 30)]).toEqual(['512 B', '1.5 KiB', '64.0 GiB'])
  })
})

describe('parseDuration', () => {
  it.each([
    ['90s', 90],
    ['15m', 900],
    ['12h', 43200],
    ['30d', 2592000],
    [' 1d ', 86400],
  ])('parses %s as %d seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds)
  })
  it.each([['5x'], ['0s'], ['30'], ['1.5h'], ['-1d'], ['d'], ['']])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined()
  })
})

describe('publicUrlOf', () => {
  const base = loadConfig({ env: {} })
  const withHost = (host: string, extra: Partial<Config> = {}): Config => ({ ...base, host, ...extra })
  it('prefers the configured public URL', () => {
    expect(publicUrlOf(loadConfig({ env: { AIRLOCK_PUBLIC_URL: 'https://store.example/airlock/' } }), 1234)).toBe(
      'https://store.example/airlock',
    )
  })
  it('otherwise builds it from host and port, the bound port first', () => {
    expect(publicUrlOf(base)).toBe('http://127.0.0.1:8080')
    expect(publicUrlOf(base, 43210)).toBe('http://127.0.0.1:43210')
    expect(publicUrlOf(withHost('store.lan'))).toBe('http://store.lan:8080')
  })
  it('never hands out a wildcard address, and brackets IPv6', () => {
    expect(publicUrlOf(withHost('0.0.0.0'))).toBe('http://127.0.0.1:8080')
    expect(publicUrlOf(withHost('::'))).toBe('http://127.0.0.1:8080')
    expect(publicUrlOf(withHost('fd00::1'), 9000)).toBe('http://[fd00::1]:9000')
  })
})

describe('config/airlock.example.yaml', () => {
  const text = readFileSync(EXAMPLE, 'utf8')
  /** The file with its commented-out keys switched on: `# key: value` lines lose their `# `. */
  const uncommented = text.replace(/^(\s*)# ?(\s*[a-z][a-z0-9-]*:(?:\s.*)?)$/gm, '$1$2')

  function dottedKeys(obj: unknown, prefix = ''): string[] {
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return [prefix]
    return Object.entries(obj).flatMap(([k, v]) => {
      const path = prefix ? `${prefix}.${k}` : k
      return KEYS.some((s) => s.key.startsWith(`${path}.`)) ? dottedKeys(v, path) : [path]
    })
  }

  it('loads as is and equals the defaults', () => {
    expect(loadConfig({ file: EXAMPLE, env: {} })).toEqual(loadConfig({ env: {} }))
  })

  it('holds every key in KEYS, commented or not, and no other', () => {
    const keys = dottedKeys(parseYaml(uncommented)).sort()
    expect(keys).toEqual(KEYS.map((k) => k.key).sort())
  })

  it('has valid example values for the optional keys', () => {
    const file = yamlFile(uncommented)
    const c = loadConfig({ file, env: {} })
    expect(c.publicUrl).toMatch(/^https?:\/\//)
    expect(c.databaseUrl).toMatch(/^postgres/)
    expect(c.oci.registryDomain).toBeDefined()
    expect(c.trustedAssertions.length).toBeGreaterThan(0)
  })

  it.each(KEYS.map((k) => [k.key, k] as const))('documents %s: its env var and default next to it', (key, spec) => {
    const lines = text.split('\n')
    const leaf = key.split('.').at(-1)!
    const at = lines.findIndex((l) => new RegExp(`^\\s*(# )?\\s*${leaf}:`).test(l))
    expect(at, `no line for ${key}`).toBeGreaterThan(0)
    const comment: string[] = []
    for (let i = at - 1; i >= 0 && /^\s*#/.test(lines[i]!) && !/^\s*#\s*[a-z][a-z0-9-]*:/.test(lines[i]!); i--) comment.unshift(lines[i]!)
    const block = comment.join('\n')
    expect(block).toContain(spec.env)
    expect(block).toMatch(/Default /)
    if (spec.flag) expect(block).toContain(`--${key}`)
    const shown =
      spec.default === undefined || (Array.isArray(spec.default) && spec.default.length === 0)
        ? /Default (unset|none)/
        : `Default ${String(spec.default)}`
    expect(block).toMatch(shown)
  })
})
