// The rules of release, close and remove, pure over plain data (docs/decisions/0016): which
// package a NAME means, which (channel, base, architecture) slots a release or close touches, and
// what a remove must refuse. The use cases in operations.ts apply them inside one transaction.
import { formatBase, type Base } from './base.js'
import { formatChannel, parseChannel, sameChannel, type Channel } from './channel.js'
import { Ambiguous, InvalidInput, NotFound } from './errors.js'
import type { PackageType } from './model.js'
import type { CurrentRelease, PackageRef } from './operations-ports.js'

export interface PlatformFilter {
  /** "ubuntu@22.04" (charms only). */
  readonly base?: string | undefined
  readonly arch?: string | undefined
}

const CHANNEL_FORM = 'expected [track/]risk[/branch] with risk stable, candidate, beta or edge'

/** Parses every channel argument first, so a bad one changes nothing. */
export function parseChannels(texts: readonly string[]): Channel[] {
  if (texts.length === 0) throw new InvalidInput({ field: 'channels' }, 'no channel given')
  return texts.map((t) => {
    const c = parseChannel(t)
    if (!c) throw new InvalidInput({}, `${JSON.stringify(t)} is not a channel: ${CHANNEL_FORM}`)
    return c
  })
}

/** A slot's name as the audit trail and the CLI show it: "latest/stable ubuntu@22.04/amd64", "latest/edge arm64". */
export function slotLabel(channel: Channel, base: Base): string {
  return `${formatChannel(channel)} ${base.name ? formatBase(base) : base.architecture}`
}

/** The package NAME means; `type` settles a name that a charm (or bundle) and a snap share. */
export function pickPackage(candidates: readonly PackageRef[], name: string, type: PackageType | undefined): PackageRef {
  const fitting = type ? candidates.filter((p) => p.type === type) : candidates
  if (fitting.length === 1) return fitting[0]!
  if (fitting.length > 1) {
    throw new Ambiguous(
      `${JSON.stringify(name)} is both a ${fitting.map((p) => p.type).join(' and a ')}: say which with --type ${fitting.map((p) => p.type).join('|')}`,
    )
  }
  throw new NotFound(
    type ? `no ${type} named ${JSON.stringify(name)} in the store` : `no charm, bundle or snap named ${JSON.stringify(name)} in the store`,
  )
}

function checkFilter(pkg: PackageRef, f: PlatformFilter): { name: string; channel: string } | undefined {
  if (f.base === undefined) return undefined
  if (pkg.type === 'snap')
    throw new InvalidInput({ field: '--base' }, `${pkg.name} is a snap: snaps are released per architecture only (drop --base)`)
  const m = /^([a-z][a-z0-9-]*)@([0-9][0-9.]*|all)$/.exec(f.base)
  if (!m && f.base !== 'all')
    throw new InvalidInput({ field: '--base' }, `${JSON.stringify(f.base)} is not a base: expected NAME@CHANNEL, such as ubuntu@22.04`)
  return m ? { name: m[1]!, channel: m[2]! } : { name: 'all', channel: 'all' }
}

/**
 * The slots a release of a revision fills: one per platform the revision supports, narrowed by
 * --base and --arch. A revision built for "all" architectures released with --arch A fills A's slot
 * only, so other architectures keep what they had.
 */
export function releaseSlots(pkg: PackageRef, revision: { revision: number; platforms: readonly Base[] }, f: PlatformFilter): Base[] {
  const base = checkFilter(pkg, f)
  const out: Base[] = []
  for (const p of revision.platforms) {
    if (base && !(p.name === base.name && p.channel === base.channel)) continue
    if (f.arch !== undefined && p.architecture !== f.arch && p.architecture !== 'all') continue
    const slot = f.arch !== undefined && p.architecture === 'all' ? { ...p, architecture: f.arch } : p
    if (!out.some((o) => formatBase(o) === formatBase(slot))) out.push(slot)
  }
  if (out.length === 0) {
    const wanted = [f.base, f.arch].filter((x) => x !== undefined).join(' ')
    const has = revision.platforms.map((p) => (p.name ? formatBase(p) : p.architecture)).join(', ') || 'none'
    throw new InvalidInput(
      { field: f.base !== undefined ? '--base' : '--arch' },
      `${pkg.type} ${pkg.name} revision ${revision.revision} does not support ${wanted} (it supports ${has})`,
    )
  }
  return out
}

/** The current releases a close empties: the channel exactly (not its fall-backs), narrowed by --base and --arch. */
export function closeSlots(pkg: PackageRef, current: readonly CurrentRelease[], channel: Channel, f: PlatformFilter): CurrentRelease[] {
  const base = checkFilter(pkg, f)
  return current.filter(
    (r) =>
      sameChannel(r.channel, channel) &&
      (!base || (r.base.name === base.name && r.base.channel === base.channel)) &&
      (f.arch === undefined || r.base.architecture === f.arch),
  )
}

/**
 * A charm whose last revision goes is refused while a bundle in the store names it (the bundle
 * could no longer be deployed), unless forced. Returns the refusal, or undefined.
 */
export function removalBlocker(
  pkg: PackageRef,
  remainingRevisions: number,
  bundles: readonly string[],
  force: boolean,
): string | undefined {
  if (force || pkg.type !== 'charm' || remainingRevisions > 0 || bundles.length === 0) return undefined
  return `charm ${pkg.name} is named by bundle${bundles.length > 1 ? 's' : ''} ${bundles.join(', ')}: removing its last revision would break ${bundles.length > 1 ? 'them' : 'it'} (remove the bundle first, or pass --force)`
}
