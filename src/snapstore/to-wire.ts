// Domain → Snap Store JSON, shaped as snapd's Go structs decode them (docs/protocol/snap-store.md §4.3, §5.1, §5.2):
// lowercase-hex sha3-384, a valid `type` always (never "" or null), no `prices` (free snaps),
// store fields always present since they override snap-yaml (gotcha 7).
import { shortChannel } from '../catalog/channel.js'
import type { IndexedPackage, IndexedRelease, IndexedRevision } from '../catalog/index.js'
import { epochOf, revisionArchitectures, type SnapOutcome } from '../catalog/snap-select.js'
import type { PublicUrls } from '../http/public-urls.js'
import type { SnapPackageT, SnapRevisionT, StoreSnapT } from './schemas.js'

const SNAP_TYPES = new Set(['app', 'application', 'gadget', 'kernel', 'base', 'os', 'snapd'])
const CONFINEMENTS = new Set(['strict', 'classic', 'devmode'])

const str = (v: unknown): string => (typeof v === 'string' ? v : '')
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

export function snapType(pkg: IndexedPackage, rev: IndexedRevision): StoreSnapT['type'] {
  const t = rev.extra?.type
  if (typeof t === 'string' && SNAP_TYPES.has(t)) return t as StoreSnapT['type']
  return pkg.name === 'snapd' ? 'snapd' : 'app'
}

export function confinementOf(rev: IndexedRevision): StoreSnapT['confinement'] {
  const c = rev.extra?.confinement
  return typeof c === 'string' && CONFINEMENTS.has(c) ? (c as StoreSnapT['confinement']) : 'strict'
}

export function publisherWire(pkg: IndexedPackage): StoreSnapT['publisher'] & object {
  const p = pkg.publisher
  return {
    id: str(p?.id),
    username: str(p?.username),
    'display-name': str(p?.['display-name']),
    validation: str(p?.validation) || 'unproven',
  }
}

/** Package-level fields; details are checked shape by shape so a stray value cannot break snapd's decoder. */
export function packageWire(pkg: IndexedPackage): SnapPackageT {
  const d = pkg.details
  const links = isObj(d.links)
    ? (Object.fromEntries(Object.entries(d.links).filter(([, v]) => Array.isArray(v) && v.every((x) => typeof x === 'string'))) as Record<
        string,
        string[]
      >)
    : {}
  const media = Array.isArray(d.media)
    ? d.media
        .filter((m): m is Record<string, unknown> => isObj(m) && typeof m.type === 'string' && typeof m.url === 'string')
        .map((m) => ({
          type: m.type as string,
          url: m.url as string,
          ...(Number.isInteger(m.width) ? { width: m.width as number } : {}),
          ...(Number.isInteger(m.height) ? { height: m.height as number } : {}),
        }))
    : []
  const categories = Array.isArray(d.categories)
    ? d.categories.flatMap((c) =>
        typeof c === 'string'
          ? [{ featured: false, name: c }]
          : isObj(c) && typeof c.name === 'string'
            ? [{ featured: c.featured === true, name: c.name }]
            : [],
      )
    : []
  return {
    name: pkg.name,
    'snap-id': pkg.id,
    summary: pkg.summary,
    description: pkg.description,
    title: pkg.title || pkg.name,
    license: str(d.license),
    contact: str(d.contact),
    website: str(d.website),
    'store-url': '',
    links,
    media,
    publisher: publisherWire(pkg),
    private: false,
    'common-ids': Array.isArray(d['common-ids']) ? d['common-ids'].filter((x): x is string => typeof x === 'string') : [],
    categories,
  }
}

/** Revision-level fields. */
export function revisionWire(
  urls: PublicUrls,
  pkg: IndexedPackage,
  rev: IndexedRevision,
  snapYaml?: string | null,
): Required<Omit<SnapRevisionT, 'snap-yaml'>> & Pick<SnapRevisionT, 'snap-yaml'> {
  const base = rev.extra?.base
  const epoch = epochOf(rev.extra?.epoch)
  return {
    architectures: revisionArchitectures(rev),
    base: typeof base === 'string' && base !== '' ? base : null,
    confinement: confinementOf(rev),
    'created-at': rev.createdAt,
    download: { url: urls.snap(pkg.id, rev.revision), size: rev.blob.size, 'sha3-384': rev.blob.sha3_384.toLowerCase(), deltas: [] },
    epoch: { read: [...epoch.read], write: [...epoch.write] },
    revision: rev.revision,
    type: snapType(pkg, rev),
    version: rev.version,
    ...(typeof snapYaml === 'string' ? { 'snap-yaml': snapYaml } : {}),
  }
}

export function storeSnap(urls: PublicUrls, pkg: IndexedPackage, rev: IndexedRevision, snapYaml: string | null | undefined): StoreSnapT {
  const p = packageWire(pkg)
  return { ...p, name: pkg.name, 'snap-id': pkg.id, ...revisionWire(urls, pkg, rev, snapYaml) }
}

/** Only the requested fields (info and find take `fields=`); `keep` always stays. */
export function project<T extends object>(obj: T, fields: ReadonlySet<string> | undefined, keep: readonly string[] = []): Partial<T> {
  if (!fields) return obj
  return Object.fromEntries(Object.entries(obj).filter(([k]) => fields.has(k) || keep.includes(k))) as Partial<T>
}

export function parseFields(v: unknown): Set<string> | undefined {
  if (typeof v !== 'string' || v.trim() === '') return undefined
  return new Set(
    v
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean),
  )
}

export function refreshResultWire(urls: PublicUrls, o: SnapOutcome, snapYaml: string | null | undefined): Record<string, unknown> {
  const key = o.action.instanceKey
  if (o.kind === 'error') {
    // Install and download errors are tied to the snap by `name` (gotcha 4); refresh ones by instance-key.
    const name = o.pkg?.name ?? o.action.name
    const snapId = o.pkg?.id ?? o.action.snapId
    return {
      result: 'error',
      'instance-key': key,
      ...(snapId ? { 'snap-id': snapId } : {}),
      ...(name ? { name } : {}),
      error: { code: o.code, message: o.message, ...(o.releases ? { extra: { releases: o.releases } } : {}) },
    }
  }
  return {
    result: o.action.action,
    'instance-key': key,
    'snap-id': o.pkg.id,
    name: o.pkg.name,
    ...(o.channel ? { 'effective-channel': shortChannel(o.channel) } : {}),
    snap: storeSnap(urls, o.pkg, o.revision, snapYaml),
  }
}

export function infoChannelWire(r: IndexedRelease, architecture: string) {
  return { architecture, name: shortChannel(r.channel), track: r.channel.track, risk: r.channel.risk, 'released-at': r.releasedAt }
}

/** BASE of the public URLs, from the download URL shape docs/operations.md documents. */
export function publicBase(urls: PublicUrls): string {
  return urls.snap('x', 1).replace(/\/api\/v1\/snaps\/download\/x_1\.snap$/, '')
}

/** An absolute stream URL for `fetch-assertions` (docs/protocol/snap-store.md §4.5: absolute, served by GET v2/assertions). */
export function assertionUrl(urls: PublicUrls, type: string, key: string): string {
  return `${publicBase(urls)}/v2/assertions/${type}/${key.split('/').map(encodeURIComponent).join('/')}`
}
