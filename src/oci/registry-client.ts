// The OCI distribution API, as much of it as pushing needs (opencontainers/distribution-spec
// spec.md): HEAD a blob or manifest, cross-repository mount, monolithic upload (POST, then one
// streamed PUT with the digest), PUT a manifest. Authentication: none, Basic, or the Docker token
// flow (a 401 with `WWW-Authenticate: Bearer realm=...,service=...,scope=...` → GET the token →
// retry); a token that expires mid-run is simply fetched again on the next 401.
import type { Readable } from 'node:stream'
import type { HttpResponse, Transport } from './http.js'
import { MediaType } from './types.js'

/** A refusal or failure from the registry; `fatal` when no other image can succeed either (auth). */
export class RegistryError extends Error {
  constructor(
    message: string,
    readonly fatal = false,
  ) {
    super(message)
  }
}

export interface RegistryOptions {
  readonly host: string
  readonly insecure: boolean
  readonly username?: string | undefined
  readonly password?: string | undefined
}

const ACCEPT = [MediaType.ociManifest, MediaType.ociIndex, MediaType.dockerManifest, MediaType.dockerList].join(', ')

/** `Bearer realm="https://auth",service="reg",scope="repository:a:pull,push"` → {scheme, params}. */
export function parseChallenge(header: string | undefined): { scheme: string; params: Record<string, string> } | undefined {
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header ?? '')
  if (!m) return undefined
  const params: Record<string, string> = {}
  for (const p of m[2]!.matchAll(/(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g))
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!
  return { scheme: m[1]!.toLowerCase(), params }
}

function registryMessage(res: HttpResponse): string {
  try {
    const body = JSON.parse(res.body.toString('utf8')) as { errors?: Array<{ code?: string; message?: string }> }
    const e = body.errors?.[0]
    if (e) return `HTTP ${res.status} ${e.code ?? ''}${e.message ? `: ${e.message}` : ''}`.trim()
  } catch {
    /* not JSON */
  }
  const text = res.body.toString('utf8').trim().slice(0, 200)
  return `HTTP ${res.status}${text ? ` ${text}` : ''}`
}

export class RegistryClient {
  readonly base: string
  private readonly tokens = new Map<string, string>()
  private basic: string | undefined

  constructor(
    private readonly opts: RegistryOptions,
    private readonly http: Transport,
  ) {
    this.base = `${opts.insecure ? 'http' : 'https'}://${opts.host}`
  }

  /** The digest `reference` (a tag or digest) names in `repo`, or undefined when it does not exist. */
  async manifestDigest(repo: string, reference: string): Promise<string | undefined> {
    const res = await this.send('HEAD', `/v2/${repo}/manifests/${reference}`, repo, { accept: ACCEPT })
    if (res.status === 404) return undefined
    if (res.status !== 200) throw new RegistryError(`checking manifest ${repo}:${reference}: ${registryMessage(res)}`)
    const d = res.headers['docker-content-digest']
    return typeof d === 'string' ? d : reference.includes(':') ? reference : undefined
  }

  async hasBlob(repo: string, digest: string): Promise<boolean> {
    const res = await this.send('HEAD', `/v2/${repo}/blobs/${digest}`, repo)
    if (res.status === 404) return false
    // A redirect means the blob is served from elsewhere (S3-backed registries): it exists.
    if (res.status >= 200 && res.status < 400) return true
    throw new RegistryError(`checking blob ${digest}: ${registryMessage(res)}`)
  }

  /** Mounts a blob already in `from` on the same registry; false when the registry declines. */
  async mountBlob(repo: string, digest: string, from: string): Promise<boolean> {
    const res = await this.send(
      'POST',
      `/v2/${repo}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`,
      `${repo} ${from}`,
      { 'content-length': '0' },
    )
    if (res.status === 201) return true
    // 202: the registry opened an ordinary upload instead; leave it to expire (nothing was written).
    if (res.status === 202) return false
    throw new RegistryError(`mounting blob ${digest} from ${from}: ${registryMessage(res)}`)
  }

  /** Uploads a blob; `open` gives a fresh stream of exactly `size` bytes each time it is called. */
  async uploadBlob(repo: string, digest: string, size: number, open: () => Readable): Promise<void> {
    const start = await this.send('POST', `/v2/${repo}/blobs/uploads/`, repo, { 'content-length': '0' })
    const location = start.headers.location
    if (start.status !== 202 || typeof location !== 'string')
      throw new RegistryError(`starting upload of ${digest}: ${registryMessage(start)}`)
    const url = new URL(location, this.base)
    url.searchParams.set('digest', digest)
    const res = await this.send('PUT', url, repo, { 'content-type': 'application/octet-stream', 'content-length': String(size) }, open)
    if (res.status !== 201) throw new RegistryError(`uploading blob ${digest}: ${registryMessage(res)}`)
  }

  /** PUTs a manifest by digest or tag; returns the digest the registry computed. */
  async putManifest(repo: string, reference: string, mediaType: string, bytes: Buffer): Promise<string | undefined> {
    const res = await this.send(
      'PUT',
      `/v2/${repo}/manifests/${reference}`,
      repo,
      { 'content-type': mediaType, 'content-length': String(bytes.length) },
      () => bytes,
    )
    if (res.status !== 201) throw new RegistryError(`putting manifest ${repo}:${reference}: ${registryMessage(res)}`)
    const d = res.headers['docker-content-digest']
    return typeof d === 'string' ? d : undefined
  }

  private async send(
    method: string,
    path: string | URL,
    scopeKey: string,
    headers: Record<string, string> = {},
    body?: () => Buffer | Readable,
  ): Promise<HttpResponse> {
    const url = typeof path === 'string' ? new URL(path, this.base) : path
    for (let attempt = 0; ; attempt++) {
      const auth = this.tokens.get(scopeKey) ?? this.basic
      const res = await this.http.request(url, {
        method,
        headers: { ...headers, ...(auth ? { authorization: auth } : {}) },
        ...(body ? { body: body() } : {}),
      })
      if (res.status !== 401) return res
      const challenge = parseChallenge(res.headers['www-authenticate'])
      if (attempt > 0 || !challenge) throw this.refused(res)
      if (challenge.scheme === 'bearer' && challenge.params.realm) {
        this.tokens.set(scopeKey, `Bearer ${await this.fetchToken(challenge.params)}`)
      } else if (challenge.scheme === 'basic' && this.opts.username !== undefined) {
        this.basic = `Basic ${Buffer.from(`${this.opts.username}:${this.opts.password ?? ''}`).toString('base64')}`
      } else {
        throw this.refused(res)
      }
    }
  }

  private refused(res: HttpResponse): RegistryError {
    return new RegistryError(
      this.opts.username === undefined
        ? `registry ${this.opts.host} requires credentials (${registryMessage(res)}): set AIRLOCK_OCI_REGISTRY_USERNAME and AIRLOCK_OCI_REGISTRY_PASSWORD`
        : `registry ${this.opts.host} refused the credentials of user ${JSON.stringify(this.opts.username)} (${registryMessage(res)})`,
      true,
    )
  }

  private async fetchToken(params: Record<string, string>): Promise<string> {
    const url = new URL(params.realm!)
    if (params.service) url.searchParams.set('service', params.service)
    // Several scopes arrive space-separated in one challenge (a mount needs pull on the source too).
    for (const s of (params.scope ?? '').split(' ').filter(Boolean)) url.searchParams.append('scope', s)
    const headers: Record<string, string> = {}
    if (this.opts.username !== undefined)
      headers.authorization = `Basic ${Buffer.from(`${this.opts.username}:${this.opts.password ?? ''}`).toString('base64')}`
    const res = await this.http.request(url, { method: 'GET', headers })
    if (res.status === 401 || res.status === 403) {
      throw new RegistryError(
        this.opts.username === undefined
          ? `token server ${url.origin} requires credentials: set AIRLOCK_OCI_REGISTRY_USERNAME and AIRLOCK_OCI_REGISTRY_PASSWORD`
          : `token server ${url.origin} refused the credentials of user ${JSON.stringify(this.opts.username)} (HTTP ${res.status})`,
        true,
      )
    }
    let token: unknown
    try {
      const j = JSON.parse(res.body.toString('utf8')) as { token?: unknown; access_token?: unknown }
      token = j.token ?? j.access_token
    } catch {
      /* below */
    }
    if (res.status !== 200 || typeof token !== 'string' || token === '')
      throw new RegistryError(`token server ${url.origin}: no token (${registryMessage(res)})`, true)
    return token
  }
}
