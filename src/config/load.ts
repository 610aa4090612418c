// Resolves configuration: defaults < YAML file < AIRLOCK_* env < CLI flags. Fails fast with one line
// naming the key (ConfigError); the CLI turns it into exit status 2.
import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { ConfigError } from './errors.js'
import { INVALID, KEYS, type Config } from './schema.js'

export { ConfigError }

export interface ConfigSources {
  readonly file?: string | undefined
  readonly env?: NodeJS.ProcessEnv
  /** Flag values keyed by KeySpec.flag; undefined means not given. */
  readonly flags?: Readonly<Record<string, unknown>>
}

function lookup(obj: unknown, dotted: string): unknown {
  let cur: unknown = obj
  for (const part of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<string, unknown>)[part]
  }
  return cur
}

function assign(obj: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.')
  let cur = obj
  for (const part of parts.slice(0, -1)) cur = (cur[part] ??= {}) as Record<string, unknown>
  cur[parts.at(-1)!] = value
}

/**
 * Every dotted key the file holds; unknown ones are refused, so a typo never silently falls back.
 * An empty section (`oci-registry:` with every key commented out) is null in YAML and holds nothing.
 */
function fileKeys(file: string, obj: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) => {
    const path = prefix ? `${prefix}.${k}` : k
    if (!KEYS.some((s) => s.key.startsWith(`${path}.`))) return [path]
    if (v === null || v === undefined) return []
    if (typeof v !== 'object' || Array.isArray(v))
      throw new ConfigError(
        `config file ${file}: "${path}" must be a mapping of its keys, such as ${KEYS.find((s) => s.key.startsWith(`${path}.`))!.key}`,
      )
    return fileKeys(file, v as Record<string, unknown>, path)
  })
}

function readFile(file: string): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError(`config file ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
  }
  try {
    const doc = parseYaml(text) as unknown
    if (doc === null || doc === undefined) return {}
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('the top level must be a mapping')
    return doc as Record<string, unknown>
  } catch (err) {
    throw new ConfigError(`config file ${file}: invalid YAML: ${(err as Error).message.split('\n')[0]}`)
  }
}

export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env
  const flags = sources.flags ?? {}
  const file = sources.file ?? (env.AIRLOCK_CONFIG || undefined)
  const fromFile = file ? readFile(file) : {}
  const known = new Set(KEYS.map((k) => k.key))
  for (const key of file ? fileKeys(file, fromFile) : []) {
    if (!known.has(key)) throw new ConfigError(`config file ${file}: unknown key "${key}"`)
  }
  const out: Record<string, unknown> = {}
  for (const spec of KEYS) {
    let raw: unknown = spec.default
    let origin = 'default'
    const inFile = lookup(fromFile, spec.key)
    if (inFile !== undefined) {
      raw = inFile
      origin = `config file ${file}`
    }
    if (env[spec.env] !== undefined && env[spec.env] !== '') {
      raw = env[spec.env]
      origin = `environment variable ${spec.env}`
    }
    if (spec.flag && flags[spec.flag] !== undefined) {
      raw = flags[spec.flag]
      origin = `flag --${spec.key.replace(/\./g, '-')}`
    }
    const value = spec.parse(raw)
    if (value === INVALID) {
      // Secrets are named, never echoed (the line lands in logs and terminals).
      const shown = /secret|password/.test(spec.key) ? 'the value given' : JSON.stringify(raw)
      throw new ConfigError(`invalid ${spec.key} (from ${origin}): ${shown} is not ${spec.expect}`)
    }
    assign(out, spec.target, value)
  }
  requireS3Settings(out as unknown as Config)
  return deepFreeze(out) as unknown as Config
}

/** With blob-store s3, the bucket and both keys are required (the endpoint defaults to AWS's). */
function requireS3Settings(c: Config): void {
  if (c.blobStore !== 's3') return
  for (const [key, env, value] of [
    ['s3.bucket', 'AIRLOCK_S3_BUCKET', c.s3.bucket],
    ['s3.access-key-id', 'AIRLOCK_S3_ACCESS_KEY_ID', c.s3.accessKeyId],
    ['s3.secret-access-key', 'AIRLOCK_S3_SECRET_ACCESS_KEY', c.s3.secretAccessKey],
  ] as const) {
    if (value === undefined) throw new ConfigError(`blob-store is s3 but ${key} (${env}) is not set`)
  }
}

/** Config is read-only all the way down (`limits`, `oci` included), as its type says. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') for (const v of Object.values(value)) deepFreeze(v)
  return Object.freeze(value)
}

/** The base URL every download URL is built on. */
export function publicUrlOf(config: Config, boundPort?: number): string {
  if (config.publicUrl) return config.publicUrl
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host
  const h = host.includes(':') ? `[${host}]` : host
  return `http://${h}:${boundPort ?? config.port}`
}
