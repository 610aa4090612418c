// oci-image resource bodies: {"ImageName": "...", "Username": "...", "Password": "..."}
// (docs/protocol/charmhub.md §10, docs/protocol/export-formats.md §2.3).
import { InvalidInput, type Location } from '../catalog/errors.js'
import { parseJson } from './yaml-text.js'

// docker/distribution reference grammar, simplified: [domain[:port]/]path[:tag][@algo:hex]
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*'
const DOMAIN = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?'
const REFERENCE = new RegExp(
  `^(?:(${DOMAIN})/)?(${COMPONENT}(?:/${COMPONENT})*)(?::([\\w][\\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128}))?$`,
)

export interface ImageReference {
  readonly domain: string
  readonly path: string
  readonly tag?: string
  readonly digest?: string
}

export function parseImageReference(ref: string): ImageReference | undefined {
  if (ref.length > 4096) return undefined
  const m = REFERENCE.exec(ref)
  if (!m) return undefined
  // A first component without '.', ':' or "localhost" is a path, not a domain (docker's rule).
  let domain = m[1] ?? ''
  let path = m[2]!
  if (domain && !domain.includes('.') && !domain.includes(':') && domain !== 'localhost') {
    path = `${domain}/${path}`
    domain = ''
    if (!new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`).test(path)) return undefined
  }
  return { domain, path, ...(m[3] ? { tag: m[3] } : {}), ...(m[4] ? { digest: m[4] } : {}) }
}

export interface OciImageResource {
  readonly imageName: string
  readonly username: string
  readonly password: string
}

export function parseOciImageResource(body: Buffer, where: Location): OciImageResource {
  const value = parseJson(body.toString('utf8'), where)
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new InvalidInput(where, 'oci-image resource: expected a JSON object')
  const v = value as Record<string, unknown>
  if (typeof v.ImageName !== 'string' || v.ImageName === '')
    throw new InvalidInput({ ...where, field: 'ImageName' }, 'oci-image resource without an ImageName')
  if (!parseImageReference(v.ImageName))
    throw new InvalidInput({ ...where, field: 'ImageName' }, `not a valid image reference: ${JSON.stringify(v.ImageName)}`)
  for (const k of ['Username', 'Password'] as const) {
    if (v[k] !== undefined && typeof v[k] !== 'string') throw new InvalidInput({ ...where, field: k }, 'expected a string')
  }
  return { imageName: v.ImageName, username: (v.Username as string | undefined) ?? '', password: (v.Password as string | undefined) ?? '' }
}
