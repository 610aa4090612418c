// Domain → Charmhub JSON, shaped exactly as Juju's Go structs decode it (docs/protocol/charmhub.md §5.4, §7.1, §8, §14):
// numbers are numbers, timestamps RFC3339 or null (never ""), publisher values all strings.
import type { Base } from '../catalog/base.js'
import { formatChannel, shortChannel } from '../catalog/channel.js'
import type { IndexedPackage, IndexedRelease, IndexedResourceRevision, IndexedRevision } from '../catalog/index.js'
import type { Digests } from '../catalog/model.js'
import type { RevisionTexts } from '../catalog/ports.js'
import type { ActionOutcome } from '../catalog/refresh-actions.js'
import { basesForArchitecture } from '../catalog/select.js'
import type { PublicUrls } from '../http/public-urls.js'
import { ociServedBody, type RegistryConfig } from '../catalog/oci-image.js'

export const EMPTY_CONFIG = '{}\n'
const ALL_BASE: Base = { architecture: 'all', name: 'all', channel: 'all' }

const baseWire = (b: Base) => ({ architecture: b.architecture, name: b.name, channel: b.channel })

export function publisherWire(pkg: IndexedPackage): Record<string, string> {
  const p = pkg.publisher
  if (!p) return { 'display-name': '', id: '', username: '', validation: 'unproven' }
  return {
    'display-name': String(p['display-name'] ?? ''),
    id: String(p.id ?? ''),
    username: String(p.username ?? ''),
    validation: String(p.validation ?? 'unproven'),
  }
}

function downloadWire(url: string, blob: Digests) {
  return { 'hash-sha-256': blob.sha256, 'hash-sha-384': blob.sha384, size: blob.size, url }
}

/** Size and hashes of the bytes a resource download serves (oci-image bodies may be rewritten). */
export function servedDigest(r: IndexedResourceRevision, registry: RegistryConfig): Digests {
  return (r.type === 'oci-image' ? ociServedBody(r.imageName, registry) : undefined) ?? r.blob
}

export function resourceWire(urls: PublicUrls, pkg: IndexedPackage, r: IndexedResourceRevision, registry: RegistryConfig) {
  const declared = pkg.resources.get(r.name)
  return {
    description: declared?.description ?? '',
    download: downloadWire(urls.resource(pkg.id, r.name, r.revision), servedDigest(r, registry)),
    filename: declared?.filename ?? '',
    name: r.name,
    revision: r.revision,
    type: r.type,
  }
}

function revisionBases(pkg: IndexedPackage, rev: IndexedRevision, architecture?: string): Base[] {
  if (pkg.type === 'bundle') return [ALL_BASE]
  return basesForArchitecture(rev, architecture)
}

function charmUrl(urls: PublicUrls, pkg: IndexedPackage, revision: number): string {
  return pkg.type === 'bundle' ? urls.charm(pkg.id, revision).replace(/\.charm$/, '.bundle') : urls.charm(pkg.id, revision)
}

/** The `charm` entity of a refresh result. */
export function refreshEntity(
  urls: PublicUrls,
  pkg: IndexedPackage,
  rev: IndexedRevision,
  texts: RevisionTexts | undefined,
  resources: readonly IndexedResourceRevision[],
  registry: RegistryConfig,
  architecture?: string,
) {
  return {
    'actions-yaml': texts?.actionsYaml ?? '',
    bases: revisionBases(pkg, rev, architecture).map(baseWire),
    'config-yaml': pkg.type === 'bundle' ? '' : (texts?.configYaml ?? EMPTY_CONFIG),
    'created-at': rev.createdAt,
    download: downloadWire(charmUrl(urls, pkg, rev.revision), rev.blob),
    id: pkg.id,
    license: '',
    'metadata-yaml': texts?.metadataYaml ?? '',
    ...(pkg.type === 'bundle' ? { 'bundle-yaml': texts?.bundleYaml ?? '' } : {}),
    name: pkg.name,
    publisher: publisherWire(pkg),
    resources: resources.map((r) => resourceWire(urls, pkg, r, registry)),
    revision: rev.revision,
    summary: pkg.summary,
    type: pkg.type,
    version: rev.version,
  }
}

/** A channel a revision is released in, for `effective-channel` of a by-revision install. */
function channelOfRevision(pkg: IndexedPackage, revision: number): IndexedRelease | undefined {
  return pkg.releases.find((r) => r.revision === revision)
}

export function refreshResult(
  urls: PublicUrls,
  registry: RegistryConfig,
  o: ActionOutcome,
  texts: RevisionTexts | undefined,
  fields: readonly string[] | undefined,
): Record<string, unknown> {
  const key = o.action.instanceKey
  if (o.kind === 'error') {
    return {
      charm: null,
      error: {
        code: o.code,
        message: o.message,
        ...(o.extra
          ? {
              extra: {
                ...(o.extra.releases ? { releases: o.extra.releases.map((r) => ({ base: baseWire(r.base), channel: r.channel })) } : {}),
                ...(o.extra['default-bases'] ? { 'default-bases': o.extra['default-bases'].map(baseWire) } : {}),
              },
            }
          : {}),
      },
      id: o.pkg?.id ?? o.action.id ?? '',
      'instance-key': key,
      name: o.pkg?.name ?? o.action.name ?? '',
      'released-at': null,
      result: 'error',
    }
  }
  const release = o.selection.release ?? channelOfRevision(o.pkg, o.selection.revision.revision)
  let entity: Record<string, unknown> = refreshEntity(urls, o.pkg, o.selection.revision, texts, o.resources, registry, o.architecture)
  if (fields && fields.length > 0) {
    const keep = new Set([...fields, 'id', 'name', 'type', 'revision'])
    entity = Object.fromEntries(Object.entries(entity).filter(([k]) => keep.has(k)))
  }
  return {
    charm: entity,
    // Juju parses this with ParseChannelNormalize, which refuses "" (J36 core/charm/repository/charmhub.go),
    // so a revision released nowhere still reports the default track's stable channel.
    'effective-channel': release ? formatChannel(release.channel) : `${o.pkg.defaultTrack}/stable`,
    id: o.pkg.id,
    'instance-key': key,
    name: o.pkg.name,
    'released-at': release?.releasedAt ?? null,
    result: o.action.action,
  }
}

export function channelWire(r: IndexedRelease) {
  return {
    base: baseWire(r.base),
    name: shortChannel(r.channel),
    'released-at': r.releasedAt,
    risk: r.channel.risk,
    track: r.channel.track,
  }
}

export function infoRevision(urls: PublicUrls, pkg: IndexedPackage, rev: IndexedRevision) {
  return {
    attributes: {},
    bases: revisionBases(pkg, rev).map(baseWire),
    'created-at': rev.createdAt,
    download: downloadWire(charmUrl(urls, pkg, rev.revision), rev.blob),
    revision: rev.revision,
    version: rev.version,
  }
}

export function resultWire(urls: PublicUrls, pkg: IndexedPackage, containsCharms: ReadonlyArray<{ name: string; id: string }> = []) {
  const d = pkg.details
  return {
    'bugs-url': typeof d['bugs-url'] === 'string' ? d['bugs-url'] : '',
    categories: Array.isArray(d.categories) ? d.categories : [],
    'contains-charms': containsCharms.map((c) => ({ name: c.name, 'package-id': c.id, 'store-url': urls.storeUrl(c.name) })),
    'deployable-on': Array.isArray(d['deployable-on']) ? d['deployable-on'] : [],
    description: pkg.description,
    license: typeof d.license === 'string' ? d.license : '',
    links: d.links && typeof d.links === 'object' ? d.links : {},
    media: Array.isArray(d.media) ? d.media : [],
    publisher: publisherWire(pkg),
    'store-url': urls.storeUrl(pkg.name),
    summary: pkg.summary,
    title: pkg.title || pkg.name,
    unlisted: false,
    'used-by': [],
    website: typeof d.website === 'string' ? d.website : '',
  }
}

/** The channel object of a default release that is not released anywhere (never "" timestamps). */
export function unreleasedChannel(rev: IndexedRevision) {
  const base = rev.platforms[0] ?? ALL_BASE
  return { base: baseWire(base), name: '', 'released-at': rev.createdAt, risk: '', track: '' }
}
