// Channel maps and store ids from whatever JSON a snap export carries. Its keys are unknown
// (docs/protocol/export-formats.md §4, §8), so the JSON is probed, not parsed against a schema (§7 "Snap export"
// step 3): any list of objects with a `revision` and a `channel` ({architecture, track, risk[, name]}
// as the store's info answer has it, or a channel string) or a `push_channel` (the --from-yaml input)
// is a list of releases. File order decides: the last release for an (architecture, channel) wins.
import { InvalidInput, type Location } from '../catalog/errors.js'
import { formatChannel, parseChannel, type Channel } from '../catalog/channel.js'
import type { JsonFile } from './snap-export.js'

export interface ChannelEntry {
  /** The snap the entry names, when it or the object around it says. */
  readonly snap?: string | undefined
  readonly architecture?: string | undefined
  readonly channel: Channel
  readonly revision: number
}

export interface ExportHints {
  readonly releases: readonly ChannelEntry[]
  /** Store ids ("ubuntu" is the global store), with the snap they were found for, if any. */
  readonly stores: ReadonlyArray<{ snap?: string | undefined; store: string }>
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

function revisionOf(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^[1-9][0-9]{0,8}$/.test(v) ? Number(v) : NaN
  return Number.isSafeInteger(n) && n >= 1 ? n : undefined
}

/** The channel an entry names, or undefined when the object is not a release entry. */
function channelOf(o: Obj, where: Location): { channel: Channel; architecture?: string | undefined } | undefined {
  const bad = (field: string, v: unknown): never => {
    throw new InvalidInput({ ...where, field: `${where.field}.${field}` }, `${JSON.stringify(v)} is not a channel`)
  }
  const parse = (field: string, s: unknown): Channel => (typeof s === 'string' && parseChannel(s)) || bad(field, s)
  const push = o.push_channel ?? o['push-channel']
  if (push !== undefined) return { channel: parse('push_channel', push), architecture: text(o.architecture) }
  const c = o.channel
  if (typeof c === 'string') return { channel: parse('channel', c), architecture: text(o.architecture) }
  if (!isObj(c)) return undefined
  const named = typeof c.name === 'string' ? parseChannel(c.name) : undefined
  let channel: Channel
  if (typeof c.track === 'string' && typeof c.risk === 'string') {
    const base = parse('channel', `${c.track}/${c.risk}`)
    // The store's channel object has no branch field; a branch shows only in its `name`.
    const branch = text(c.branch) ?? (named && named.risk === base.risk ? named.branch : '')
    channel = branch ? parse('channel', `${formatChannel(base)}/${branch}`) : base
  } else {
    channel = named ?? bad('channel', c)
  }
  return { channel, architecture: text(c.architecture) ?? text(o.architecture) }
}

export function probeExportJson(files: readonly JsonFile[]): ExportHints {
  const releases: ChannelEntry[] = []
  const stores: Array<{ snap?: string | undefined; store: string }> = []
  const visit = (v: unknown, snap: string | undefined, where: Location, depth: number): void => {
    if (depth > 64) return // hostile nesting; nothing useful lives that deep
    if (Array.isArray(v)) {
      v.forEach((el, i) => visit(el, snap, { ...where, field: `${where.field ?? ''}[${i}]` }, depth + 1))
      return
    }
    if (!isObj(v)) return
    const revision = revisionOf(v.revision)
    const found = revision !== undefined ? channelOf(v, where) : undefined
    // An object with a snap-id or a channel map describes one snap; entries without a name inherit it.
    const own =
      text(v.name) && (found || 'snap-id' in v || 'channel-map' in v || 'channelmap' in v || 'channels' in v) ? text(v.name) : undefined
    const here = own ?? snap
    if (found && revision !== undefined) {
      releases.push({ snap: here, architecture: found.architecture, channel: found.channel, revision })
      return
    }
    const store = text(v.store) ?? text(v['store-id']) ?? text(v.store_id)
    if (store) stores.push({ snap: here, store })
    for (const [k, child] of Object.entries(v)) visit(child, here, { ...where, field: where.field ? `${where.field}.${k}` : k }, depth + 1)
  }
  for (const f of files) visit(f.value, undefined, f.location, 0)
  return { releases, stores }
}

/** One revision of a snap in the upload, for deciding its channels. */
export interface ReleasedRevision {
  readonly snap: string
  readonly revision: number
  readonly architectures: readonly string[]
}

/**
 * The channels each revision goes to, keyed "<snap>/<revision>". Undefined for a snap the JSON says
 * nothing about (the caller then uses --channel). An entry without an architecture stands for every
 * architecture of the revision it names; an architecture-independent ("all") revision takes entries
 * for any architecture. Entries naming revisions not in the upload are dropped: no blob to serve.
 */
export function releasesFor(hints: ExportHints, revisions: readonly ReleasedRevision[]): Map<string, Channel[] | undefined> {
  const winner = new Map<string, { key: string; channel: Channel }>()
  const mentioned = new Set<string>()
  for (const e of hints.releases) {
    for (const r of revisions) {
      if (r.revision !== e.revision || (e.snap !== undefined && e.snap !== r.snap)) continue
      mentioned.add(r.snap)
      const archs = r.architectures.includes('all')
        ? ['all']
        : e.architecture
          ? r.architectures.filter((a) => a === e.architecture)
          : r.architectures
      for (const a of archs)
        winner.set(`${r.snap}\0${a}\0${formatChannel(e.channel)}`, { key: `${r.snap}/${r.revision}`, channel: e.channel })
    }
    if (e.snap !== undefined) mentioned.add(e.snap)
  }
  const out = new Map<string, Channel[] | undefined>()
  for (const r of revisions) {
    const key = `${r.snap}/${r.revision}`
    if (!mentioned.has(r.snap)) {
      out.set(key, undefined)
      continue
    }
    const mine = new Map<string, Channel>()
    for (const w of winner.values()) if (w.key === key) mine.set(formatChannel(w.channel), w.channel)
    out.set(key, [...mine.values()])
  }
  return out
}

/** The store a snap was exported from: the JSON's, else "ubuntu" (the global store; §4). */
export function storeFor(hints: ExportHints, snap: string): string {
  return (hints.stores.find((s) => s.snap === snap) ?? hints.stores.find((s) => s.snap === undefined))?.store ?? 'ubuntu'
}
