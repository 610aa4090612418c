// Snap Store selection (docs/protocol/snap-store.md §4), pure over the in-memory index: channels as
// snapd spells them (a bare track means <track>/stable), closed-channel fall-back to more stable
// risks, architecture matching ("all" matches any), epochs, refresh of installed snaps from the
// request's context, and per-action errors with the codes snapd recognises (§4.4).
import { parseChannel, shortChannel, sameChannel, RISKS, type Channel } from './channel.js'
import { fallbackChannels } from './select.js'
import type { CatalogIndex, IndexedPackage, IndexedRelease, IndexedRevision } from './index.js'

/** The only series snaps exist in (docs/protocol/snap-store.md §3: `Snap-Device-Series: 16`). */
export const SERIES = '16'

export interface Epoch { readonly read: readonly number[]; readonly write: readonly number[] }
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

export interface SnapEnv { readonly architecture: string; readonly series: string }

export interface SnapReleaseRef { readonly architecture: string; readonly channel: string }

export type SnapOutcome =
  | { readonly kind: 'found'; readonly action: SnapAction; readonly pkg: IndexedPackage; readonly revision: IndexedRevision
      /** Where the revision was found (after fall-back); absent for a by-revision pick released nowhere. */
      readonly channel?: Channel | undefined }
  | { readonly kind: 'error'; readonly action: SnapAction; readonly pkg?: IndexedPackage | undefined; readonly code: string; readonly message: string
      readonly releases?: readonly SnapReleaseRef[] | undefined }

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
    const read = ints(o.read); const write = ints(o.write)
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

const revisionEpochs = new WeakMap<IndexedRevision, Epoch>()

/** A revision's epoch (epochOf its `extra.epoch`), computed once per revision object. */
export function revisionEpoch(rev: IndexedRevision): Epoch {
  let e = revisionEpochs.get(rev)
  if (!e) { e = epochOf(rev.extra?.epoch); revisionEpochs.set(rev, e) }
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
    const rels = pkg.releases.filter((r) => sameChannel(r.channel, c) && archMatches(r.base.architecture, architecture) && pkg.revisions.has(r.revision))
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
    if (!seen.has(k)) { seen.add(k); out.push(ref) }
  }
  return out
}

interface ChannelPick { readonly wanted: Channel | undefined; readonly release: IndexedRelease | undefined }

/** Per package object (the index replaces it on reload): architecture → channel text → pick. */
const channelPicks = new WeakMap<IndexedPackage, Map<string, Map<string, ChannelPick>>>()
/** Channel spellings remembered per package; clients choose them, so the map is bounded. */
const MAX_PICKS_PER_PACKAGE = 64

/**
 * The channel `text` names (undefined if it is not one) and the release a device of `architecture`
 * gets from it (snapReleaseFor), remembered per package object: a device's refresh asks this for
 * every installed snap, and the answer changes only when the package is reloaded.
 */
export function snapChannelPick(pkg: IndexedPackage, text: string, architecture: string): ChannelPick {
  let byArch = channelPicks.get(pkg)
  if (!byArch) { byArch = new Map(); channelPicks.set(pkg, byArch) }
  let picks = byArch.get(architecture)
  if (!picks) {
    if (byArch.size >= MAX_PICKS_PER_PACKAGE) byArch.clear()
    picks = new Map()
    byArch.set(architecture, picks)
  }
  let p = picks.get(text)
  if (!p) {
    const wanted = parseSnapChannel(text, pkg.defaultTrack)
    p = { wanted, release: wanted ? snapReleaseFor(pkg, wanted, architecture) : undefined }
    if (picks.size >= MAX_PICKS_PER_PACKAGE) picks.clear()
    picks.set(text, p)
  }
  return p
}

function notAvailable(action: SnapAction, pkg: IndexedPackage, env: SnapEnv, message: string): SnapOutcome {
  return { kind: 'error', action, pkg, code: 'revision-not-found', message, releases: snapReleaseRefs(pkg, env.architecture) }
}

function pick(action: SnapAction, pkg: IndexedPackage, env: SnapEnv, channelText: string | undefined, installed: Epoch | null | undefined): SnapOutcome {
  let revision: IndexedRevision | undefined
  let channel: Channel | undefined
  if (action.revision !== undefined) {
    revision = pkg.revisions.get(action.revision)
    if (!revision || !revisionFits(revision, env.architecture)) {
      return notAvailable(action, pkg, env, `No revision ${action.revision} of '${pkg.name}' for architecture ${env.architecture}`)
    }
    const rel = pkg.releases.find((r) => r.revision === action.revision && archMatches(r.base.architecture, env.architecture))
    channel = rel?.channel
  } else {
    const { wanted, release: rel } = snapChannelPick(pkg, channelText ?? 'stable', env.architecture)
    if (!wanted) return { kind: 'error', action, pkg, code: 'invalid-channel', message: `invalid channel ${JSON.stringify(channelText)}` }
    if (!rel) {
      return notAvailable(action, pkg, env, `No revision of '${pkg.name}' was found in channel ${shortChannel(wanted)} for architecture ${env.architecture}`)
    }
    revision = pkg.revisions.get(rel.revision)!
    channel = rel.channel
  }
  if (installed) {
    const epoch = revisionEpoch(revision)
    if (!canRead(epoch, installed)) {
      return notAvailable(action, pkg, env,
        `Revision ${revision.revision} of '${pkg.name}' (epoch ${formatEpoch(epoch)}) cannot read the data of the installed epoch ${formatEpoch(installed)}`)
    }
  }
  return { kind: 'found', action, pkg, revision, channel }
}

const snapOnly = (p: IndexedPackage | undefined, env: SnapEnv): IndexedPackage | undefined => (p?.type === 'snap' && env.series === SERIES ? p : undefined)

/** Context entries by instance-key; the first entry with a key is the one a refresh action refers to. */
export function contextsByKey(contexts: readonly SnapContext[]): ReadonlyMap<string, SnapContext> {
  const byKey = new Map<string, SnapContext>()
  for (const c of contexts) if (!byKey.has(c.instanceKey)) byKey.set(c.instanceKey, c)
  return byKey
}

/** The snap an action is about, if the index has it for this device: what resolving the action looks up first. */
export function snapPackageOf(index: CatalogIndex, action: SnapAction, contexts: ReadonlyMap<string, SnapContext>, env: SnapEnv): IndexedPackage | undefined {
  if (action.action === 'refresh') {
    const snapId = action.snapId ?? contexts.get(action.instanceKey)?.snapId
    return snapOnly(snapId ? index.byPackageId(snapId) : undefined, env)
  }
  return snapOnly(action.snapId ? index.byPackageId(action.snapId) : action.name ? index.snapByName(action.name) : undefined, env)
}

const epochKey = (e: Epoch | null | undefined): string =>
  !e ? '-' : e.read.length === 1 && e.write.length === 1 ? `${e.read[0]}/${e.write[0]}` : `${e.read.join('.')}/${e.write.join('.')}`

/** The part of an action's shape that every action of a request shares (snapActionShape). */
export const snapEnvShape = (env: SnapEnv): string => `${env.architecture}\0${env.series}`

/** What resolveOne reads of an action besides the package: its kind, revision, channel and installed epoch (null: no context). */
interface ShapeInputs { kind: SnapAction['action']; revision: number | undefined; channel: string | undefined; epoch: Epoch | null | undefined }

/** Fills `into` (reused across a request's actions: no allocation per snap). */
function readShapeInputs(action: SnapAction, contexts: ReadonlyMap<string, SnapContext>, into: ShapeInputs): ShapeInputs {
  into.kind = action.action
  into.revision = action.revision
  if (action.action === 'refresh') {
    const ctx = contexts.get(action.instanceKey)
    into.channel = action.channel ?? ctx?.trackingChannel
    into.epoch = ctx ? ctx.epoch ?? EPOCH_ZERO : null
  } else {
    into.channel = action.channel
    into.epoch = action.epoch
  }
  return into
}

const newShapeInputs = (): ShapeInputs => ({ kind: 'install', revision: undefined, channel: undefined, epoch: undefined })

const formatShape = (s: ShapeInputs, envShape: string): string =>
  `${s.kind}\0${envShape}\0${s.revision ?? '-'}\0${s.channel ?? '-'}\0${epochKey(s.epoch)}`

/**
 * Everything besides the package (snapPackageOf) and the instance-key that an action's outcome
 * depends on, as a string: two actions with the same shape resolve alike against the same package
 * object. `envShape` is snapEnvShape of the request's device. Kept beside resolveOne, which must
 * read nothing that readShapeInputs leaves out.
 */
export function snapActionShape(action: SnapAction, contexts: ReadonlyMap<string, SnapContext>, envShape: string): string {
  return formatShape(readShapeInputs(action, contexts, newShapeInputs()), envShape)
}

const sameEpoch = (a: Epoch | null | undefined, b: Epoch | null | undefined): boolean =>
  !a || !b ? !a && !b : a.read.length === b.read.length && a.write.length === b.write.length
    && a.read.every((x, i) => x === b.read[i]) && a.write.every((x, i) => x === b.write[i])

/**
 * snapActionShape(action, contexts, envShape) + suffix for the actions of one request, the string
 * reused while an action's inputs are the previous action's (a device's refresh: the same channel
 * and epoch for nearly every snap), so it is built and hashed once, not once per action.
 */
export function snapShaper(contexts: ReadonlyMap<string, SnapContext>, envShape: string, suffix: string): (action: SnapAction) => string {
  const cur = newShapeInputs()
  let last: { inputs: ShapeInputs; shape: string } | undefined
  return (a) => {
    const s = readShapeInputs(a, contexts, cur)
    if (last && last.inputs.kind === s.kind && last.inputs.revision === s.revision && last.inputs.channel === s.channel && sameEpoch(last.inputs.epoch, s.epoch)) return last.shape
    last = { inputs: { ...s }, shape: formatShape(s, envShape) + suffix }
    return last.shape
  }
}

function resolveOne(index: CatalogIndex, action: SnapAction, contexts: ReadonlyMap<string, SnapContext>, env: SnapEnv): SnapOutcome {
  const pkg = snapPackageOf(index, action, contexts, env)
  if (action.action === 'refresh') {
    const ctx = contexts.get(action.instanceKey)
    const snapId = action.snapId ?? ctx?.snapId
    if (!ctx && !snapId) return { kind: 'error', action, code: 'invalid-request', message: `no context entry with instance-key ${JSON.stringify(action.instanceKey)}` }
    if (!pkg) return { kind: 'error', action, code: 'id-not-found', message: `No snap with id '${snapId ?? ''}' found` }
    return pick(action, pkg, env, action.channel ?? ctx?.trackingChannel, ctx?.epoch ?? EPOCH_ZERO)
  }
  if (!pkg) {
    return action.snapId
      ? { kind: 'error', action, code: 'id-not-found', message: `No snap with id '${action.snapId}' found` }
      : { kind: 'error', action, code: 'name-not-found', message: `No snap named '${action.name ?? ''}' found` }
  }
  return pick(action, pkg, env, action.channel, action.epoch)
}

/** One outcome per action, in request order; snapd matches them up by instance-key. */
/** `contexts` keyed by instance-key (contextsByKey). */
export function resolveSnapActions(index: CatalogIndex, contexts: ReadonlyMap<string, SnapContext>, actions: readonly SnapAction[], env: SnapEnv): SnapOutcome[] {
  return actions.map((a) => resolveOne(index, a, contexts, env))
}

/** info's channel map: default track first, stable → edge, branches last; one entry per channel. */
export function snapChannelMap(pkg: IndexedPackage, architecture: string | undefined): Array<{ release: IndexedRelease; revision: IndexedRevision; architecture: string }> {
  const out = new Map<string, { release: IndexedRelease; revision: IndexedRevision; architecture: string }>()
  const rels = [...pkg.releases].sort((a, b) =>
    (a.channel.track === pkg.defaultTrack ? 0 : 1) - (b.channel.track === pkg.defaultTrack ? 0 : 1)
    || a.channel.track.localeCompare(b.channel.track, undefined, { numeric: true })
    || (a.channel.branch ? 1 : 0) - (b.channel.branch ? 1 : 0)
    || RISKS.indexOf(a.channel.risk) - RISKS.indexOf(b.channel.risk)
    || a.channel.branch.localeCompare(b.channel.branch)
    // An exact-architecture build wins over an "all" one in the same channel.
    || (a.base.architecture === 'all' ? 1 : 0) - (b.base.architecture === 'all' ? 1 : 0)
    || a.base.architecture.localeCompare(b.base.architecture))
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
export function snapFindRevision(pkg: IndexedPackage, architecture: string, channelText: string | undefined): { revision: IndexedRevision; channel: Channel } | undefined {
  const channel = parseSnapChannel(channelText || 'stable', pkg.defaultTrack)
  const rel = channel ? snapReleaseFor(pkg, channel, architecture) : undefined
  if (rel) return { revision: pkg.revisions.get(rel.revision)!, channel: rel.channel }
  if (channelText) return undefined
  // No stable release: the first channel of the map, so find still lists the snap.
  const first = snapChannelMap(pkg, architecture)[0]
  return first ? { revision: first.revision, channel: first.release.channel } : undefined
}
