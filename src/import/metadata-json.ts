// metadata.json from a store-admin charm export. Its schema is not public (docs/protocol/export-formats.md
// §2.4), so the shape is probed: a Charmhub info response (channel-map, default-release, result), a
// refresh response (results[].entity) or a bare entity. It is used where present, never required, and
// what it says about hashes and sizes is checked against the bytes.
import { InvalidInput, type Location } from '../catalog/errors.js'
import { parseChannel, type Channel } from '../catalog/channel.js'
import type { PublisherInfo } from '../catalog/model.js'

export interface ExportRelease {
  readonly channel: Channel
  readonly revision: number
  /** The field path, for errors. */
  readonly field: string
}

export interface ExportDownload {
  readonly revision: number
  readonly sha256?: string
  readonly size?: number
  readonly field: string
}

export interface ExportResource {
  readonly name: string
  readonly revision: number
  readonly type?: string
  readonly description?: string
  readonly sha256?: string
  readonly sha384?: string
  readonly size?: number
  readonly field: string
  /** The charm revision this entry is attached to, where the metadata says. */
  readonly charmRevision?: number
}

export interface ExportMetadata {
  readonly id?: string
  readonly name?: string
  readonly summary?: string
  readonly description?: string
  readonly title?: string
  readonly publisher?: PublisherInfo
  /** Store-facing extras from `result` (links, media, categories, website ...). */
  readonly details: Record<string, unknown>
  readonly releases: readonly ExportRelease[]
  readonly downloads: readonly ExportDownload[]
  readonly resources: readonly ExportResource[]
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v)
const optStr = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

function revisionNumber(v: unknown, where: Location, field: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v
  throw new InvalidInput({ ...where, field }, `revision must be a positive integer, got ${JSON.stringify(v)}`)
}

function download(d: unknown, revision: number, field: string, where: Location): ExportDownload | undefined {
  if (!isObj(d)) return undefined
  const sha256 = d['hash-sha-256']
  const size = d.size
  if (sha256 !== undefined && (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)))
    throw new InvalidInput({ ...where, field: `${field}.hash-sha-256` }, 'expected a sha256 hex digest')
  if (size !== undefined && (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0))
    throw new InvalidInput({ ...where, field: `${field}.size` }, 'expected a size in bytes')
  return {
    revision,
    field,
    ...(sha256 !== undefined ? { sha256: sha256 as string } : {}),
    ...(size !== undefined ? { size: size as number } : {}),
  }
}

function channelOf(c: unknown, where: Location, field: string): Channel {
  if (typeof c === 'string') {
    const ch = parseChannel(c)
    if (ch) return ch
  } else if (isObj(c)) {
    const name = optStr(c.name)
    const track = optStr(c.track)
    const risk = optStr(c.risk)
    const ch = name
      ? parseChannel(name.includes('/') || !track ? name : `${track}/${name}`)
      : risk
        ? parseChannel(`${track ?? 'latest'}/${risk}`)
        : undefined
    if (ch) return ch
  }
  throw new InvalidInput({ ...where, field }, `not a channel: ${JSON.stringify(c)}`)
}

function resourcesOf(list: unknown, field: string, where: Location, charmRevision?: number): ExportResource[] {
  if (!Array.isArray(list)) return []
  return list.flatMap((r, i) => {
    if (!isObj(r) || typeof r.name !== 'string') return []
    const f = `${field}[${i}]`
    if (typeof r.revision !== 'number' || !Number.isInteger(r.revision) || r.revision < 0)
      throw new InvalidInput(
        { ...where, field: `${f}.revision` },
        `resource revision must be a non-negative integer, got ${JSON.stringify(r.revision)}`,
      )
    const d = isObj(r.download) ? r.download : {}
    const sha256 = optStr(d['hash-sha-256'])
    const sha384 = optStr(d['hash-sha-384'])
    const size = typeof d.size === 'number' ? d.size : undefined
    return [
      {
        name: r.name,
        revision: r.revision,
        field: f,
        ...(charmRevision !== undefined ? { charmRevision } : {}),
        ...(optStr(r.type) ? { type: r.type as string } : {}),
        ...(optStr(r.description) ? { description: r.description as string } : {}),
        ...(sha256 ? { sha256 } : {}),
        ...(sha384 ? { sha384 } : {}),
        ...(size !== undefined ? { size } : {}),
      },
    ]
  })
}

function publisherOf(p: unknown): PublisherInfo | undefined {
  if (!isObj(p) || typeof p.id !== 'string') return undefined
  return {
    id: p.id,
    username: optStr(p.username) ?? '',
    'display-name': optStr(p['display-name']) ?? '',
    validation: optStr(p.validation) ?? 'unproven',
  }
}

const RESULT_KEYS_KEPT = ['bugs-url', 'categories', 'deployable-on', 'license', 'links', 'media', 'store-url', 'unlisted', 'website']

export function readExportMetadata(value: unknown, where: Location): ExportMetadata {
  if (!isObj(value)) throw new InvalidInput(where, 'expected a JSON object')
  // Refresh-shaped: {"results":[{id,name,effective-channel,entity}]}: use the first result.
  let root: Obj = value
  if (Array.isArray(value.results) && isObj(value.results[0])) root = value.results[0]
  const releases: ExportRelease[] = []
  const downloads: ExportDownload[] = []
  const resources: ExportResource[] = []

  if (Array.isArray(root['channel-map'])) {
    root['channel-map'].forEach((e, i) => {
      if (!isObj(e) || !isObj(e.revision)) return
      const field = `channel-map[${i}]`
      const rev = revisionNumber(e.revision.revision, where, `${field}.revision.revision`)
      releases.push({ channel: channelOf(e.channel, where, `${field}.channel`), revision: rev, field })
      const d = download(e.revision.download, rev, `${field}.revision.download`, where)
      if (d) downloads.push(d)
      resources.push(...resourcesOf(e.resources, `${field}.resources`, where, rev))
    })
  }
  const dr = root['default-release']
  if (isObj(dr)) {
    let drRev: number | undefined
    if (isObj(dr.revision)) {
      const rev = revisionNumber(dr.revision.revision, where, 'default-release.revision.revision')
      drRev = rev
      if (dr.channel !== undefined)
        releases.push({ channel: channelOf(dr.channel, where, 'default-release.channel'), revision: rev, field: 'default-release' })
      const d = download(dr.revision.download, rev, 'default-release.revision.download', where)
      if (d) downloads.push(d)
    }
    resources.push(...resourcesOf(dr.resources, 'default-release.resources', where, drRev))
  }
  const entity = isObj(root.entity) ? root.entity : root.revision !== undefined && root.download !== undefined ? root : undefined
  if (entity) {
    const field = entity === root ? '' : 'entity'
    const rev = revisionNumber(entity.revision, where, field ? `${field}.revision` : 'revision')
    const d = download(entity.download, rev, field ? `${field}.download` : 'download', where)
    if (d) downloads.push(d)
    const eff = root['effective-channel']
    if (typeof eff === 'string')
      releases.push({ channel: channelOf(eff, where, 'effective-channel'), revision: rev, field: 'effective-channel' })
    resources.push(...resourcesOf(entity.resources, field ? `${field}.resources` : 'resources', where, rev))
  }

  const result = isObj(root.result) ? root.result : isObj(entity) ? entity : {}
  const details: Record<string, unknown> = {}
  for (const k of RESULT_KEYS_KEPT) if (result[k] !== undefined) details[k] = result[k]
  const id = optStr(root.id) ?? optStr(entity?.id)
  const name = optStr(root.name) ?? optStr(entity?.name)
  const publisher = publisherOf(result.publisher)
  return {
    ...(id ? { id } : {}),
    ...(name ? { name } : {}),
    ...(optStr(result.summary) ? { summary: result.summary as string } : {}),
    ...(optStr(result.description) ? { description: result.description as string } : {}),
    ...(optStr(result.title) ? { title: result.title as string } : {}),
    ...(publisher ? { publisher } : {}),
    details,
    releases,
    downloads,
    resources,
  }
}
