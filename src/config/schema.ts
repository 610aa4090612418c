// One description of every configuration key: its YAML path, env variable, default and parser.
// The YAML file, AIRLOCK_* variables and CLI flags all resolve through this table, so the example
// config, docker-compose.yml and the docs can be checked against it (test/unit/config.test.ts).
import { parseDuration, parseSize } from './size.js'
import { isProxySpec } from './proxy-spec.js'

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export interface ImportLimits {
  readonly uploadMaxBytes: number
  readonly maxMemberPathBytes: number
  readonly maxNestingDepth: number
  readonly maxMembers: number
  readonly maxUnpackedBytes: number
  readonly maxExpansionRatio: number
  readonly ratioGraceBytes: number
  readonly maxMetadataBytes: number
}

export interface Config {
  readonly host: string
  readonly port: number
  readonly dataDir: string
  readonly publicUrl: string | undefined
  readonly databaseUrl: string | undefined
  readonly logLevel: LogLevel
  /** GET /metrics (Prometheus text); off answers 404 there. */
  readonly metrics: boolean
  readonly oci: { readonly registryDomain?: string; readonly username?: string; readonly password?: string }
  readonly trustedAssertions: readonly string[]
  /** Peers (addresses or CIDR blocks) whose X-Forwarded-Proto/-Host say the public scheme and host. */
  readonly trustedProxies: readonly string[]
  readonly limits: ImportLimits
  /** Milliseconds between scheduled garbage collections; 0 = off. */
  readonly gc: { readonly intervalMs: number }
  /** Where blob bytes live: `fs` under `<data-dir>/blobs`, or `s3` in the object store below. */
  readonly blobStore: 'fs' | 's3'
  readonly s3: S3Settings
}

export interface S3Settings {
  readonly endpoint: string | undefined
  readonly bucket: string | undefined
  readonly region: string
  readonly accessKeyId: string | undefined
  readonly secretAccessKey: string | undefined
  readonly forcePathStyle: boolean
  /** Downloads answer 302 to a presigned URL instead of streaming through Airlock. */
  readonly redirect: boolean
}

type Parse = (raw: unknown) => unknown | typeof INVALID
export const INVALID = Symbol('invalid')

export interface KeySpec {
  /** Dotted YAML path, e.g. `limits.max-members`. */
  readonly key: string
  /** Environment variable that overrides the file. */
  readonly env: string
  /** CLI flag of `airlock serve`, when there is one. */
  readonly flag?: string
  readonly default: unknown
  readonly parse: Parse
  /** Where the value lands in Config. */
  readonly target: string
  readonly expect: string
}

const str: Parse = (v) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : INVALID)
const optStr: Parse = (v) => (v === undefined || v === null || v === '' ? undefined : str(v))
const int =
  (min: number, max: number): Parse =>
  (v) => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN
    return Number.isInteger(n) && n >= min && n <= max ? n : INVALID
  }
const size =
  (min: number): Parse =>
  (v) => {
    const n = parseSize(v)
    return n !== undefined && n >= min ? n : INVALID
  }
const url: Parse = (v) => {
  const s = optStr(v)
  if (s === undefined || s === INVALID) return s
  try {
    const u = new URL(s as string)
    return u.protocol === 'http:' || u.protocol === 'https:' ? (s as string).replace(/\/+$/, '') : INVALID
  } catch {
    return INVALID
  }
}
const dbUrl: Parse = (v) => {
  const s = optStr(v)
  if (s === undefined || s === INVALID) return s
  return /^postgres(ql)?:\/\//.test(s as string) ? s : INVALID
}
/** `24h`, `30m`, `7d`, `90s` in milliseconds; `0` or `off` = 0 (disabled). */
const interval: Parse = (v) => {
  if (v === 0 || v === '0' || v === 'off' || v === false) return 0
  const seconds = typeof v === 'string' ? parseDuration(v) : undefined
  return seconds === undefined || seconds > 365 * 86400 ? INVALID : seconds * 1000
}
const level: Parse = (v) =>
  typeof v === 'string' && ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(v) ? v : INVALID
const list: Parse = (v) => {
  if (v === undefined || v === null || v === '') return []
  if (typeof v === 'string')
    return v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.map((s: string) => s.trim()).filter(Boolean)
  return INVALID
}
const proxies: Parse = (v) => {
  const l = list(v)
  return l !== INVALID && (l as string[]).every(isProxySpec) ? l : INVALID
}
const onOff: Parse = (v) => {
  if (typeof v === 'boolean') return v
  const s = typeof v === 'string' ? v.trim().toLowerCase() : ''
  return ['on', 'true', 'yes', '1'].includes(s) ? true : ['off', 'false', 'no', '0'].includes(s) ? false : INVALID
}
/** S3's bucket naming rules: 3-63 of [a-z0-9.-], starting and ending with a letter or digit. */
const bucket: Parse = (v) => {
  const s = optStr(v)
  if (s === undefined || s === INVALID) return s
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(s as string) && !(s as string).includes('..') ? s : INVALID
}
const region: Parse = (v) => (typeof v === 'string' && /^[a-z0-9-]{1,64}$/.test(v.trim()) ? v.trim() : INVALID)
/** Access keys and secrets: printable ASCII without spaces (anything else cannot be signed). */
const secret: Parse = (v) => {
  const s = optStr(v)
  if (s === undefined || s === INVALID) return s
  return /^[\x21-\x7e]{1,256}$/.test(s as string) ? s : INVALID
}
const storeKind: Parse = (v) => (v === 'fs' || v === 's3' ? v : INVALID)
const domain: Parse = (v) => {
  const s = optStr(v)
  if (s === undefined || s === INVALID) return s
  return /^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(s as string) ? s : INVALID
}

export const KEYS: readonly KeySpec[] = [
  { key: 'host', env: 'AIRLOCK_HOST', flag: 'host', default: '127.0.0.1', parse: str, target: 'host', expect: 'a host name or address' },
  {
    key: 'port',
    env: 'AIRLOCK_PORT',
    flag: 'port',
    default: 8080,
    parse: int(0, 65535),
    target: 'port',
    expect: 'a port number from 0 to 65535',
  },
  {
    key: 'data-dir',
    env: 'AIRLOCK_DATA_DIR',
    flag: 'dataDir',
    default: './data',
    parse: str,
    target: 'dataDir',
    expect: 'a directory path',
  },
  {
    key: 'public-url',
    env: 'AIRLOCK_PUBLIC_URL',
    flag: 'publicUrl',
    default: undefined,
    parse: url,
    target: 'publicUrl',
    expect: 'an http:// or https:// URL',
  },
  {
    key: 'database-url',
    env: 'DATABASE_URL',
    flag: 'databaseUrl',
    default: undefined,
    parse: dbUrl,
    target: 'databaseUrl',
    expect: 'a postgres:// or postgresql:// connection string',
  },
  {
    key: 'log-level',
    env: 'AIRLOCK_LOG_LEVEL',
    flag: 'logLevel',
    default: 'info',
    parse: level,
    target: 'logLevel',
    expect: 'one of fatal, error, warn, info, debug, trace, silent',
  },
  { key: 'metrics', env: 'AIRLOCK_METRICS', default: 'on', parse: onOff, target: 'metrics', expect: 'on or off' },
  {
    key: 'oci-registry.domain',
    env: 'AIRLOCK_OCI_REGISTRY_DOMAIN',
    default: undefined,
    parse: domain,
    target: 'oci.registryDomain',
    expect: 'a registry host[:port]',
  },
  {
    key: 'oci-registry.username',
    env: 'AIRLOCK_OCI_REGISTRY_USERNAME',
    default: undefined,
    parse: optStr,
    target: 'oci.username',
    expect: 'a string',
  },
  {
    key: 'oci-registry.password',
    env: 'AIRLOCK_OCI_REGISTRY_PASSWORD',
    default: undefined,
    parse: optStr,
    target: 'oci.password',
    expect: 'a string',
  },
  {
    key: 'trusted-assertions',
    env: 'AIRLOCK_TRUSTED_ASSERTIONS',
    flag: 'trustedAssertions',
    default: [],
    parse: list,
    target: 'trustedAssertions',
    expect: 'a list of file paths (comma-separated in env and flags)',
  },
  {
    key: 'trusted-proxies',
    env: 'AIRLOCK_TRUSTED_PROXIES',
    flag: 'trustedProxies',
    default: [],
    parse: proxies,
    target: 'trustedProxies',
    expect: 'a list of IP addresses or CIDR blocks (comma-separated in env and flags)',
  },
  {
    key: 'limits.upload-max-bytes',
    env: 'AIRLOCK_LIMITS_UPLOAD_MAX_BYTES',
    default: '64GiB',
    parse: size(1),
    target: 'limits.uploadMaxBytes',
    expect: 'a size such as 64GiB',
  },
  {
    key: 'limits.max-member-path-bytes',
    env: 'AIRLOCK_LIMITS_MAX_MEMBER_PATH_BYTES',
    default: 1024,
    parse: int(16, 65536),
    target: 'limits.maxMemberPathBytes',
    expect: 'an integer from 16 to 65536',
  },
  {
    key: 'limits.max-nesting-depth',
    env: 'AIRLOCK_LIMITS_MAX_NESTING_DEPTH',
    default: 8,
    parse: int(1, 64),
    target: 'limits.maxNestingDepth',
    expect: 'an integer from 1 to 64',
  },
  {
    key: 'limits.max-members',
    env: 'AIRLOCK_LIMITS_MAX_MEMBERS',
    default: 20000,
    parse: int(1, 10_000_000),
    target: 'limits.maxMembers',
    expect: 'a positive integer',
  },
  {
    key: 'limits.max-unpacked-bytes',
    env: 'AIRLOCK_LIMITS_MAX_UNPACKED_BYTES',
    default: '64GiB',
    parse: size(1),
    target: 'limits.maxUnpackedBytes',
    expect: 'a size such as 64GiB',
  },
  {
    key: 'limits.max-expansion-ratio',
    env: 'AIRLOCK_LIMITS_MAX_EXPANSION_RATIO',
    default: 100,
    parse: int(1, 1_000_000),
    target: 'limits.maxExpansionRatio',
    expect: 'a positive integer',
  },
  {
    key: 'limits.ratio-grace-bytes',
    env: 'AIRLOCK_LIMITS_RATIO_GRACE_BYTES',
    default: '64MiB',
    parse: size(0),
    target: 'limits.ratioGraceBytes',
    expect: 'a size such as 64MiB',
  },
  {
    key: 'gc.interval',
    env: 'AIRLOCK_GC_INTERVAL',
    default: '24h',
    parse: interval,
    target: 'gc.intervalMs',
    expect: 'a duration such as 24h, 30m or 7d, or 0/off',
  },
  { key: 'blob-store', env: 'AIRLOCK_BLOB_STORE', default: 'fs', parse: storeKind, target: 'blobStore', expect: 'fs or s3' },
  {
    key: 's3.endpoint',
    env: 'AIRLOCK_S3_ENDPOINT',
    default: undefined,
    parse: url,
    target: 's3.endpoint',
    expect: 'an http:// or https:// URL',
  },
  {
    key: 's3.bucket',
    env: 'AIRLOCK_S3_BUCKET',
    default: undefined,
    parse: bucket,
    target: 's3.bucket',
    expect: 'an S3 bucket name (3 to 63 of a-z, 0-9, dots and hyphens, starting and ending with a letter or digit)',
  },
  {
    key: 's3.region',
    env: 'AIRLOCK_S3_REGION',
    default: 'us-east-1',
    parse: region,
    target: 's3.region',
    expect: 'a region name such as us-east-1',
  },
  {
    key: 's3.access-key-id',
    env: 'AIRLOCK_S3_ACCESS_KEY_ID',
    default: undefined,
    parse: secret,
    target: 's3.accessKeyId',
    expect: 'an access key id (printable characters, no spaces)',
  },
  {
    key: 's3.secret-access-key',
    env: 'AIRLOCK_S3_SECRET_ACCESS_KEY',
    default: undefined,
    parse: secret,
    target: 's3.secretAccessKey',
    expect: 'a secret access key (printable characters, no spaces)',
  },
  {
    key: 's3.force-path-style',
    env: 'AIRLOCK_S3_FORCE_PATH_STYLE',
    default: 'off',
    parse: onOff,
    target: 's3.forcePathStyle',
    expect: 'on or off (true or false)',
  },
  { key: 's3.redirect', env: 'AIRLOCK_S3_REDIRECT', default: 'off', parse: onOff, target: 's3.redirect', expect: 'on or off' },
  {
    key: 'limits.max-metadata-bytes',
    env: 'AIRLOCK_LIMITS_MAX_METADATA_BYTES',
    default: '16MiB',
    parse: size(1024),
    target: 'limits.maxMetadataBytes',
    expect: 'a size such as 16MiB',
  },
]
