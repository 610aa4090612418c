// Charmhub selection semantics (docs/protocol/charmhub.md §5.6), pure over the in-memory index:
// channel fall-back, base/architecture matching ("all" matches any architecture), the NA base,
// and the data Juju needs for its errors (releases for suggestions, default bases newest-LTS first).
import type { Base } from './base.js'
import { parseChannel, RISKS, shortChannel, type Channel } from './channel.js'
import type { IndexedPackage, IndexedRelease, IndexedRevision } from './index.js'

export interface SuggestedRelease {
  readonly base: Base
  /** Juju-normalised: "stable" for the latest track, "14/stable" otherwise (docs/protocol/charmhub.md §5.6.2). */
  readonly channel: string
}

export type Selection =
  | { readonly kind: 'ok'; readonly revision: IndexedRevision; readonly release?: IndexedRelease }
  | { readonly kind: 'revision-not-found'; readonly message: string; readonly releases: readonly SuggestedRelease[] }
  | { readonly kind: 'invalid-charm-base'; readonly message: string; readonly defaultBases: readonly Base[] }
  | { readonly kind: 'invalid-channel'; readonly message: string }

const isNA = (b: Base): boolean => b.name === 'NA' || b.channel === 'NA'

function archMatches(releaseArch: string, wanted: string): boolean {
  return releaseArch === 'all' || releaseArch === wanted
}

function baseMatches(release: Base, wanted: Base): boolean {
  const nameOk = release.name === 'all' || release.name === wanted.name
  const channelOk = release.channel === 'all' || release.channel === wanted.channel
  return nameOk && channelOk && archMatches(release.architecture, wanted.architecture)
}

/** The channels to look in, most specific first: the branch, then this risk and every more stable one. */
export function fallbackChannels(c: Channel): Channel[] {
  const out: Channel[] = []
  if (c.branch) out.push(c)
  const from = RISKS.indexOf(c.risk)
  for (let i = from; i >= 0; i--) out.push({ track: c.track, risk: RISKS[i]!, branch: '' })
  return out
}

function releasesIn(pkg: IndexedPackage, c: Channel): IndexedRelease[] {
  return pkg.releases.filter((r) => r.channel.track === c.track && r.channel.risk === c.risk && r.channel.branch === c.branch)
}

/** Every release, as Juju lists them in "available releases are:". */
export function suggestedReleases(pkg: IndexedPackage): SuggestedRelease[] {
  const seen = new Set<string>()
  const out: SuggestedRelease[] = []
  for (const r of sortedReleases(pkg)) {
    const s = { base: r.base, channel: shortChannel(r.channel) }
    const key = `${s.channel}|${s.base.name}|${s.base.channel}|${s.base.architecture}`
    if (!seen.has(key)) {
      seen.add(key)
      out.push(s)
    }
  }
  return out
}

function versionKey(channel: string): number[] {
  return channel.split('.').map((p) => Number.parseInt(p, 10) || 0)
}

const isLts = (b: Base): boolean => b.name === 'ubuntu' && /^\d*[02468]\.04$/.test(b.channel)

/** Newest LTS first, then newest other, so Juju 3.6 (first match) and 4.x (sorted) agree (docs/protocol/charmhub.md §5.6.3). */
export function sortBasesNewestLtsFirst(bases: readonly Base[]): Base[] {
  return [...bases].sort((a, b) => {
    if (isLts(a) !== isLts(b)) return isLts(a) ? -1 : 1
    const va = versionKey(a.channel)
    const vb = versionKey(b.channel)
    for (let i = 0; i < Math.max(va.length, vb.length); i++) {
      const d = (vb[i] ?? 0) - (va[i] ?? 0)
      if (d !== 0) return d
    }
    return a.name.localeCompare(b.name) || a.architecture.localeCompare(b.architecture)
  })
}

// One collator each, made once: localeCompare with options builds a new Intl.Collator per call,
// which dominated info's CPU profile (decision 0006). Same ordering as localeCompare.
const NUMERIC = new Intl.Collator(undefined, { numeric: true })
const PLAIN = new Intl.Collator()
const baseKey = (b: Base): string => `${b.name}|${b.channel}|${b.architecture}`

/** Default track first, then tracks by name, stable → edge, newest base first, amd64 first. */
export function sortReleases(pkg: IndexedPackage, releases: readonly IndexedRelease[]): IndexedRelease[] {
  const baseIdx = new Map(sortBasesNewestLtsFirst(uniqueBasesOf(releases)).map((b, i) => [baseKey(b), i]))
  return [...releases].sort(
    (a, b) =>
      (a.channel.track === pkg.defaultTrack ? 0 : 1) - (b.channel.track === pkg.defaultTrack ? 0 : 1) ||
      NUMERIC.compare(b.channel.track, a.channel.track) ||
      RISKS.indexOf(a.channel.risk) - RISKS.indexOf(b.channel.risk) ||
      PLAIN.compare(a.channel.branch, b.channel.branch) ||
      baseIdx.get(baseKey(a.base))! - baseIdx.get(baseKey(b.base))!,
  )
}

// Packages in the index are immutable (a change replaces the object), so their sorted releases
// can be kept with them.
const sortedReleasesOf = new WeakMap<IndexedPackage, readonly IndexedRelease[]>()

/** sortReleases(pkg, pkg.releases), computed once per package object. */
export function sortedReleases(pkg: IndexedPackage): readonly IndexedRelease[] {
  let s = sortedReleasesOf.get(pkg)
  if (!s) {
    s = sortReleases(pkg, pkg.releases)
    sortedReleasesOf.set(pkg, s)
  }
  return s
}

function uniqueBasesOf(releases: readonly IndexedRelease[]): Base[] {
  const m = new Map<string, Base>()
  for (const r of releases) m.set(`${r.base.name}|${r.base.channel}|${r.base.architecture}`, r.base)
  return [...m.values()]
}

function notFound(pkg: IndexedPackage, what: string): Selection {
  return {
    kind: 'revision-not-found',
    message: `No revision was found in the Store for ${pkg.name} ${what}.`,
    releases: suggestedReleases(pkg),
  }
}

/** install/download by channel and base (and refresh, with the tracking channel). */
export function selectByChannel(pkg: IndexedPackage, channelText: string | undefined, base: Base): Selection {
  const channel = parseChannel(channelText && channelText !== '' ? channelText : 'stable', pkg.defaultTrack)
  if (!channel) return { kind: 'invalid-channel', message: `invalid channel ${JSON.stringify(channelText)} for ${pkg.name}` }
  const order = fallbackChannels(channel)

  if (pkg.type === 'bundle' || (isNA(base) && pkg.type !== 'charm')) {
    // Bundles are base-less (all/all/all): any release in the channel will do (docs/protocol/charmhub.md §5.6.3).
    for (const c of order) {
      const rel = sortReleases(pkg, releasesIn(pkg, c))[0]
      if (rel) return ok(pkg, rel)
    }
    return notFound(pkg, `in channel ${shortChannel(channel)}`)
  }

  if (isNA(base)) {
    const candidates: Base[] = []
    for (const c of order) {
      for (const r of releasesIn(pkg, c)) {
        if (!archMatches(r.base.architecture, base.architecture)) continue
        if (base.name !== 'NA' && r.base.name !== base.name) continue
        candidates.push({ name: r.base.name, channel: r.base.channel, architecture: base.architecture })
      }
    }
    const unique = sortBasesNewestLtsFirst(uniqueBasesOf(candidates.map((b) => ({ base: b }) as IndexedRelease)))
    if (unique.length === 0) return notFound(pkg, `in channel ${shortChannel(channel)} for architecture ${base.architecture}`)
    return {
      kind: 'invalid-charm-base',
      defaultBases: unique,
      message: `invalid 'base' for ${pkg.name}: choose one of ${unique.map((b) => `${b.name}@${b.channel}`).join(', ')}`,
    }
  }

  for (const c of order) {
    const matches = releasesIn(pkg, c).filter((r) => baseMatches(r.base, base))
    // Prefer a release built for exactly this architecture over an "all" one.
    const rel = matches.find((r) => r.base.architecture === base.architecture) ?? matches[0]
    if (rel) return ok(pkg, rel)
  }
  return notFound(pkg, `in channel ${shortChannel(channel)} for base ${base.name}@${base.channel}/${base.architecture}`)
}

function ok(pkg: IndexedPackage, release: IndexedRelease): Selection {
  const revision = pkg.revisions.get(release.revision)
  if (!revision) return notFound(pkg, `revision ${release.revision}`)
  return { kind: 'ok', revision, release }
}

/** install/download by revision: that exact revision, whatever the architecture (docs/protocol/charmhub.md §5.6.4). */
export function selectByRevision(pkg: IndexedPackage, revision: number): Selection {
  const rev = pkg.revisions.get(revision)
  return rev ? { kind: 'ok', revision: rev } : notFound(pkg, `revision ${revision}`)
}

/** The release info shows as default: default track, most stable risk, newest base. */
export function defaultRelease(pkg: IndexedPackage): { revision: IndexedRevision; release?: IndexedRelease } | undefined {
  // Sorting a subset keeps the full sort's order (the base order is a total order), so the first
  // branch-less release of the full sort is the first of the branch-less sort.
  const sorted = sortedReleases(pkg)
  const rel = sorted.find((r) => !r.channel.branch) ?? sorted[0]
  if (rel) {
    const revision = pkg.revisions.get(rel.revision)
    if (revision) return { revision, release: rel }
  }
  const newest = [...pkg.revisions.values()].sort((a, b) => b.revision - a.revision)[0]
  return newest ? { revision: newest } : undefined
}

/**
 * The bases of a revision as Juju should see them for the requested architecture: Juju reads
 * `bases` without architectures, so list only those that exist for that architecture.
 */
export function basesForArchitecture(rev: IndexedRevision, architecture: string | undefined): Base[] {
  if (!architecture) return sortBasesNewestLtsFirst(rev.platforms)
  const m = rev.platforms.filter((b) => archMatches(b.architecture, architecture))
  return sortBasesNewestLtsFirst(m.length > 0 ? m : rev.platforms)
}
