// Snap Store selection (docs/protocol/snap-store.md §4), pure over the in-memory index: channels as
// snapd spells them (a bare track means <track>/stable), closed-channel fall-back to more stable
// risks, architecture matching ("all" matches any), epochs, refresh of installed snaps from the
// request's context, and per-action errors with the codes snapd recognises (§4.4).
import { parseChannel, shortChannel, sameChannel, RISKS, type Channel } from './channel.js'
import { fallbackChannels } from './select.js'
import type { CatalogIndex, IndexedPackage, IndexedRelease, IndexedRevision } from './index.js'

/** The only series snaps exist in (docs/protocol/snap-store.md §3: `Snap-Device-Series: 16`). */
export const SERIES = '16'

export interface Epoch {
  readonly read: readonly number[]
  readonly write: readonly number[]
}
export const EPOCH_ZERO: Epoch = { read: [0], write: [0] }

/** A `context` entry: a snap the device has installed. */
export interface SnapContext {
  readonly instanceKey: string
  readonly snapId: string
  readonly revision: number
  readonly trackingChannel?: string | undefined
  readonly epoch?: Epoch | undefined
}

export interface SnapAction {
  readonly action: 'install' | 'download' | 'refresh'
  readonly instanceKey: string
  readonly name?: string | undefined
  readonly snapId?: string | undefined
  readonly channel?: string | undefined
  readonly revision?: number | undefined
  /** The installed epoch (install: only when amending; refresh: taken from the context). */
  readonly epoch?: Epoch | null | undefined
}

export interface SnapEnv {
  readonly architecture: string
  readonly series: string
}

export interface SnapReleaseRef {
  readonly architecture: string
  readonly channel: string
}

export type SnapOutcome =
  | {
      readonly kind: 'found'
      readonly action: SnapAction
      readonly pkg: IndexedPackage
      readonly revision: IndexedRevision
      /** Where the revision was found (after fall-back); absent for a by-revision pick released nowhere. */
      readonly channel?: Channel | undefined
    }
  | {
      readonly kind: 'error'
      readonly action: SnapAction
      readonly pkg?: IndexedPackage | undefined
      readonly code: string
      readonly message: string
      readonly releases?: readonly SnapReleaseRef[] | undefined
    }

const isRisk = (s: string): boolean => (RISKS as readonly string[]).includes(s)

/** snapd's channel forms: `stable`, `2.0` (= 2.0/stable), `2.0/edge`, `edge/fix`, `t/r/b`. */
export function parseSnapChannel(text: string, defaultTrack = 'latest'): Channel | undefined {
  const t = text.trim()
  if (t !== '' && !t.includes('/') && !isRisk(t)) return parseChannel(`${t}/stable`, defaultTrack)
  return parseChannel(t, defaultTrack)
}

/** Normalises an epoch as snap.yaml or the importer may spell it: {read, write}, "N", "N*", N. */
export function epochOf(value: unknown): Epoch {
  const ints = (v: unknown): number[] | undefined =>
    Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 0) ? (v as number[]) : undefined
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>
    const read = ints(o.read)
    const write = ints(o.write)
    if (read && write) return { read, write }
    if (read) return { read, write: read.slice(-1) }
    if (write) return { read: write, write }
    return EPOCH_ZERO
  }
  const m = /^(\d+)(\*?)$/.exec(String(value ?? '0'))
  if (!m) return EPOCH_ZERO
  const n = Number(m[1])
  return m[2] && n > 0 ? { read: [n - 1, n], write: [n] } : { read: [n], write: [n] }
}

// Keyed by `extra`, which revisions of one catalog load share when equal (packed-revisions.ts): a
// revision object is built anew on every lookup.
const revisionEpochs = new WeakMap<object, Epoch>()

/** A revision's epoch (epochOf its `extra.epoch`), computed once per distinct `extra`. */
export function revisionEpoch(rev: IndexedRevision): Epoch {
  if (!rev.extra) return epochOf(undefined)
  let e = revisionEpochs.get(rev.extra)
  if (!e) {
    e = epochOf(rev.extra.epoch)
    revisionEpochs.set(rev.extra, e)
  }
  return e
}

/** snapd's Epoch.CanRead: the candidate can read data the installed revision wrote. */
export function canRead(candidate: Epoch, installed: Epoch): boolean {
  return candidate.read.some((r) => installed.write.includes(r))
}

export const formatEpoch = (e: Epoch): string => (e.read.length === 1 && e.read[0] === e.write[0] ? String(e.write[0]) : JSON.stringify(e))

const archMatches = (have: string, want: string): boolean => have === 'all' || have === want

export function revisionArchitectures(rev: IndexedRevision): string[] {
  const archs = [...new Set(rev.platforms.map((p) => p.architecture))]
  return archs.length > 0 ? archs : ['all']
}

function revisionFits(rev: IndexedRevision, architecture: string): boolean {
  return revisionArchitectures(rev).some((a) => archMatches(a, architecture))
}

/** The release a device of `architecture` gets from `channel`: the branch, then this risk, then more stable ones. */
export function snapReleaseFor(pkg: IndexedPackage, channel: Channel, architecture: string): IndexedRelease | undefined {
  for (const c of fallbackChannels(channel)) {
    const rels = pkg.releases.filter(
      (r) => sameChannel(r.channel, c) && archMatches(r.base.architecture, architecture) && pkg.revisions.has(r.revision),
    )
    const rel = rels.find((r) => r.base.architecture === architecture) ?? rels[0]
    if (rel) return rel
  }
  return undefined
}

/** Every (architecture, channel) the snap is released in; "all" shown as the device's architecture. */
export function snapReleaseRefs(pkg: IndexedPackage, architecture: string): SnapReleaseRef[] {
  const seen = new Set<string>()
  const out: SnapReleaseRef[] = []
  for (const r of pkg.releases) {
    const ref = { architecture: r.base.architecture === 'all' ? architecture : r.base.architecture, channel: shortChannel(r.channel) }
    const k = `${ref.architecture} ${ref.channel}`
    if (!seen.has(k)) {
      seen.add(k)
      out.push(ref)
    }
  }
  return out
}

/**
 * Everything an action's outcome depends on besides the index, taken from the request once: the
 * selection below reads nothing else, and the refresh route keys its answer cache on it
 * (snapShapeKey), so what selection reads and what the cache tells apart are one definition.
 */
export interface SnapActionShape {
  readonly kind: SnapAction['action']
  /** The snap asked for by id (refresh: the action's or its context's) ... */
  readonly snapId: string | undefined
  /** ... or else by name. */
  readonly name: string | undefined
  readonly revision: number | undefined
  readonly channel: string | undefined
  /** The installed epoch: a refresh's context's (epoch 0 when it names none). */
  readonly epoch: Epoch | null | undefined
  readonly architecture: string
  readonly series: string
}

/** The action's shape; undefined for a refresh that names no snap (no id, no context entry). */
export function snapActionShape(action: SnapAction, contexts: ReadonlyMap<string, SnapContext>, env: SnapEnv): SnapActionShape | undefined {
  if (action.action === 'refresh') {
    const ctx = contexts.get(action.instanceKey)
    const snapId = action.snapId ?? ctx?.snapId
    if (snapId === undefined) return undefined
    return {
      kind: 'refresh',
      snapId,
      name: undefined,
      revision: action.revision,
      channel: action.channel ?? ctx?.trackingChannel,
      epoch: ctx?.epoch ?? EPOCH_ZERO,
      architecture: env.architecture,
      series: env.series,
    }
  }
  return {
    kind: action.action,
    snapId: action.snapId,
    name: action.snapId === undefined ? action.name : undefined,
    revision: action.revision,
    channel: action.channel,
    epoch: action.epoch,
    architecture: env.architecture,
    series: env.series,
  }
}

const epochKey = (e: Epoch | null | undefined): string =>
  !e ? '-' : e.read.length === 1 && e.write.length === 1 ? `${e.read[0]}/${e.write[0]}` : `${e.read.join('.')}/${e.write.join('.')}`

/** A shape as the two strings of a cache key: the snap it names, and every other field. */
export interface ShapeKey {
  readonly handle: string
  readonly rest: string
}

const restOf = (s: SnapActionShape): string =>
  `${s.snapId !== undefined ? 'id' : 'name'}\0${s.kind}\0${s.architecture}\0${s.series}\0${s.revision ?? '-'}\0${s.channel ?? '-'}\0${epochKey(s.epoch)}`

/** Two shapes with the same key resolve alike against the same index. */
export function snapShapeKey(s: SnapActionShape): ShapeKey {
  return { handle: s.snapId ?? s.name ?? '', rest: restOf(s) }
}

const sameEpoch = (a: Epoch | null | undefined, b: Epoch | null | undefined): boolean =>
  !a || !b
    ? !a && !b
    : a.read.length === b.read.length &&
      a.write.length === b.write.length &&
      a.read.every((x, i) => x === b.read[i]) &&
      a.write.every((x, i) => x === b.write[i])

const sameRest = (a: SnapActionShape, b: SnapActionShape): boolean =>
  (a.snapId !== undefined) === (b.snapId !== undefined) &&
  a.kind === b.kind &&
  a.architecture === b.architecture &&
  a.series === b.series &&
  a.revision === b.revision &&
  a.channel === b.channel &&
  sameEpoch(a.epoch, b.epoch)

/**
 * snapShapeKey for the shapes of one request, with `suffix` (what the route's rendering reads
 * besides) on the rest: the rest string is reused while a shape's fields are the previous one's (a
 * device's refresh: the same channel and epoch for nearly every snap), so it is built and hashed
 * once, not once per action.
 */
export function snapShapeKeys(suffix: string): (s: SnapActionShape) => ShapeKey {
  let last: { shape: SnapActionShape; rest: string } | undefined
  return (s) => {
    if (!last || !sameRest(last.shape, s)) last = { shape: s, rest: restOf(s) + suffix }
    return { handle: s.snapId ?? s.name ?? '', rest: last.rest }
  }
}

/** What resolving a shape gives: an outcome less the action (resolveSnapActions pairs them up again). */
export type SnapShapeOutcome = SnapOutcome extends infer O ? (O extends SnapOutcome ? Omit<O, 'action'> : never) : never

function notAvailable(pkg: IndexedPackage, s: SnapActionShape, message: string): SnapShapeOutcome {
  return { kind: 'error', pkg, code: 'revision-not-found', message, releases: snapReleaseRefs(pkg, s.architecture) }
}

function pick(pkg: IndexedPackage, s: SnapActionShape): SnapShapeOutcome {
  let revision: IndexedRevision | undefined
  let channel: Channel | undefined
  if (s.revision !== undefined) {
    revision = pkg.revisions.get(s.revision)
    if (!revision || !revisionFits(revision, s.architecture)) {
      return notAvailable(pkg, s, `No revision ${s.revision} of '${pkg.name}' for architecture ${s.architecture}`)
    }
    const rel = pkg.releases.find((r) => r.revision === s.revision && archMatches(r.base.architecture, s.architecture))
    channel = rel?.channel
  } else {
    const wanted = parseSnapChannel(s.channel ?? 'stable', pkg.defaultTrack)
    if (!wanted) return { kind: 'error', pkg, code: 'invalid-channel', message: `invalid channel ${JSON.stringify(s.channel)}` }
    const rel = snapReleaseFor(pkg, wanted, s.architecture)
    if (!rel) {
      return notAvailable(
        pkg,
        s,
        `No revision of '${pkg.name}' was found in channel ${shortChannel(wanted)} for architecture ${s.architecture}`,
      )
    }
    revision = pkg.revisions.get(rel.revision)!
    channel = rel.channel
  }
  if (s.epoch) {
    const epoch = revisionEpoch(revision)
    if (!canRead(epoch, s.epoch)) {
      return notAvailable(
        pkg,
        s,
        `Revision ${revision.revision} of '${pkg.name}' (epoch ${formatEpoch(epoch)}) cannot read the data of the installed epoch ${formatEpoch(s.epoch)}`,
      )
    }
  }
  return { kind: 'found', pkg, revision, channel }
}

/** Context entries by instance-key; the first entry with a key is the one a refresh action refers to. */
export function contextsByKey(contexts: readonly SnapContext[]): ReadonlyMap<string, SnapContext> {
  const byKey = new Map<string, SnapContext>()
  for (const c of contexts) if (!byKey.has(c.instanceKey)) byKey.set(c.instanceKey, c)
  return byKey
}

/** The snap a shape names, if the index has it as a snap of this series. */
function snapOf(index: CatalogIndex, s: SnapActionShape): IndexedPackage | undefined {
  const p = s.snapId !== undefined ? index.byPackageId(s.snapId) : s.name !== undefined ? index.snapByName(s.name) : undefined
  return p?.type === 'snap' && s.series === SERIES ? p : undefined
}

/** The outcome of an action of this shape: pure over the index and the shape. */
export function resolveSnapShape(index: CatalogIndex, s: SnapActionShape): SnapShapeOutcome {
  const pkg = snapOf(index, s)
  if (!pkg) {
    return s.snapId !== undefined
      ? { kind: 'error', code: 'id-not-found', message: `No snap with id '${s.snapId}' found` }
      : { kind: 'error', code: 'name-not-found', message: `No snap named '${s.name ?? ''}' found` }
  }
  return pick(pkg, s)
}

/** The outcome of one action; `shape` is snapActionShape's for it. */
export function resolveSnapAction(index: CatalogIndex, action: SnapAction, shape: SnapActionShape | undefined): SnapOutcome {
  if (!shape)
    return {
      kind: 'error',
      action,
      code: 'invalid-request',
      message: `no context entry with instance-key ${JSON.stringify(action.instanceKey)}`,
    }
  return { ...resolveSnapShape(index, shape), action } as SnapOutcome
}

/** One outcome per action, in request order; snapd matches them up by instance-key. `contexts` is keyed by instance-key (contextsByKey). */
export function resolveSnapActions(
  index: CatalogIndex,
  contexts: ReadonlyMap<string, SnapContext>,
  actions: readonly SnapAction[],
  env: SnapEnv,
): SnapOutcome[] {
  return actions.map((a) => resolveSnapAction(index, a, snapActionShape(a, contexts, env)))
}

/** info's channel map: default track first, stable → edge, branches last; one entry per channel. */
export function snapChannelMap(
  pkg: IndexedPackage,
  architecture: string | undefined,
): Array<{ release: IndexedRelease; revision: IndexedRevision; architecture: string }> {
  const out = new Map<string, { release: IndexedRelease; revision: IndexedRevision; architecture: string }>()
  const rels = [...pkg.releases].sort(
    (a, b) =>
      (a.channel.track === pkg.defaultTrack ? 0 : 1) - (b.channel.track === pkg.defaultTrack ? 0 : 1) ||
      a.channel.track.localeCompare(b.channel.track, undefined, { numeric: true }) ||
      (a.channel.branch ? 1 : 0) - (b.channel.branch ? 1 : 0) ||
      RISKS.indexOf(a.channel.risk) - RISKS.indexOf(b.channel.risk) ||
      a.channel.branch.localeCompare(b.channel.branch) ||
      // An exact-architecture build wins over an "all" one in the same channel.
      (a.base.architecture === 'all' ? 1 : 0) - (b.base.architecture === 'all' ? 1 : 0) ||
      a.base.architecture.localeCompare(b.base.architecture),
  )
  for (const r of rels) {
    if (architecture && !archMatches(r.base.architecture, architecture)) continue
    const revision = pkg.revisions.get(r.revision)
    if (!revision) continue
    const arch = r.base.architecture === 'all' && architecture ? architecture : r.base.architecture
    const key = `${shortChannel(r.channel)} ${arch}`
    if (!out.has(key)) out.set(key, { release: r, revision, architecture: arch })
  }
  return [...out.values()]
}

/** The revision find shows: from `channel` (default stable) on the default track, for this architecture. */
export function snapFindRevision(
  pkg: IndexedPackage,
  architecture: string,
  channelText: string | undefined,
): { revision: IndexedRevision; channel: Channel } | undefined {
  const channel = parseSnapChannel(channelText || 'stable', pkg.defaultTrack)
  const rel = channel ? snapReleaseFor(pkg, channel, architecture) : undefined
  if (rel) return { revision: pkg.revisions.get(rel.revision)!, channel: rel.channel }
  if (channelText) return undefined
  // No stable release: the first channel of the map, so find still lists the snap.
  const first = snapChannelMap(pkg, architecture)[0]
  return first ? { revision: first.revision, channel: first.release.channel } : undefined
}
