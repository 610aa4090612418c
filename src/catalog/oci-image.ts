// oci-image resources as served: the export's ImageName re-pointed at the site's registry, keeping
// the repository path and digest (docs/protocol/charmhub.md §10). Hashes and size are always those
// of the bytes served, so they stay right when the registry configuration changes.
import { createHash } from 'node:crypto'
import type { Digests } from './model.js'

export interface RegistryConfig {
  readonly registryDomain?: string | undefined
  readonly username?: string | undefined
  readonly password?: string | undefined
}

export interface ServedBody extends Digests {
  readonly bytes: Buffer
}

/** "registry.jujucharms.com/charm/abc/img@sha256:…" → "<domain>/charm/abc/img@sha256:…". */
export function localImageReference(imageName: string, domain: string): string {
  const firstSlash = imageName.indexOf('/')
  const head = firstSlash < 0 ? '' : imageName.slice(0, firstSlash)
  // docker's rule: the first component is a registry host only if it has '.', ':' or is localhost.
  const hasDomain = firstSlash > 0 && (head.includes('.') || head.includes(':') || head === 'localhost')
  const rest = hasDomain ? imageName.slice(firstSlash + 1) : imageName
  return `${domain.replace(/\/+$/, '')}/${rest}`
}

const cache = new Map<string, ServedBody>()
let cacheBytes = 0
/** One entry per oci-image resource revision in the catalog, at most; cleared past this. */
const MAX_CACHE_BYTES = 8 << 20

/** The body to serve for an oci-image resource; undefined = serve the stored blob unchanged. */
export function ociServedBody(imageName: string | null, registry: RegistryConfig): ServedBody | undefined {
  if (!imageName || !registry.registryDomain) return undefined
  const key = `${imageName}\0${registry.registryDomain}\0${registry.username ?? ''}\0${registry.password ?? ''}`
  let body = cache.get(key)
  if (!body) {
    const bytes = Buffer.from(
      JSON.stringify({
        ImageName: localImageReference(imageName, registry.registryDomain),
        Username: registry.username ?? '',
        Password: registry.password ?? '',
      }),
    )
    body = {
      bytes,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      sha384: createHash('sha384').update(bytes).digest('hex'),
      sha3_384: createHash('sha3-384').update(bytes).digest('hex'),
    }
    const weight = key.length + body.size + 400 // three hex digests and the record
    if (cacheBytes + weight > MAX_CACHE_BYTES) {
      cache.clear()
      cacheBytes = 0
    }
    cache.set(key, body)
    cacheBytes += weight
  }
  return body
}
