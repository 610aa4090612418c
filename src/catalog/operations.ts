// Release, close and remove: each one transaction that checks everything first, changes only what
// differs (a repeat changes nothing and records nothing), appends to the release history, and
// writes one audit entry. The caller reloads the read model for the returned package afterwards.
import { sameBase } from './base.js'
import { formatChannel, type Channel } from './channel.js'
import { Conflict, InvalidInput, NotFound } from './errors.js'
import type { PackageType } from './model.js'
import type { Actor, OperationsStore, OperationsWriter, PackageRef } from './operations-ports.js'
import { closeSlots, parseChannels, pickPackage, releaseSlots, removalBlocker, slotLabel, type PlatformFilter } from './release-rules.js'

export interface Target extends PlatformFilter {
  readonly name: string
  readonly type?: PackageType | undefined
}

export interface SlotChange {
  /** slotLabel: "latest/stable ubuntu@22.04/amd64". */
  readonly slot: string
  readonly from: number | null
  readonly to: number | null
}

export interface ChannelOutcome {
  readonly package: PackageRef
  readonly changes: readonly SlotChange[]
  /** Slots that already were as asked. */
  readonly unchanged: number
}

export interface RemoveOutcome {
  readonly package: { readonly type: PackageType; readonly name: string; readonly id: string | null }
  readonly removed: readonly number[]
  /** Asked for, and removed earlier (per the audit trail). */
  readonly alreadyRemoved: readonly number[]
  readonly packageRemoved: boolean
  /** Slots that pointed at the removed revisions and are closed now. */
  readonly closed: readonly string[]
}

function uniqueChannels(cs: readonly Channel[]): Channel[] {
  const seen = new Set<string>()
  return cs.filter((c) => {
    const k = formatChannel(c)
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

const slotOf = (c: Channel, base: import('./base.js').Base) => ({ track: c.track, risk: c.risk, branch: c.branch, base })

function positiveRevision(n: number, field: string): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidInput({ field }, `${JSON.stringify(n)} is not a revision number`)
  return n
}

async function findPackage(w: OperationsWriter, t: Target): Promise<PackageRef> {
  return pickPackage(await w.packagesNamed(t.name), t.name, t.type)
}

/** Points channels at a revision already in the store, on every platform it supports (or those the filter names). */
export async function releaseRevision(
  store: OperationsStore,
  actor: Actor,
  t: Target & { revision: number; channels: readonly string[] },
): Promise<ChannelOutcome> {
  const channels = uniqueChannels(parseChannels(t.channels))
  const revision = positiveRevision(t.revision, 'revision')
  return store.transaction(async (w) => {
    const pkg = await findPackage(w, t)
    const rev = (await w.revisions(pkg.id)).find((r) => r.revision === revision)
    if (!rev) throw new NotFound(`${pkg.type} ${pkg.name} has no revision ${revision} in the store`)
    const bases = releaseSlots(pkg, rev, t)
    const current = await w.releases(pkg.id)
    const changes: SlotChange[] = []
    let unchanged = 0
    for (const c of channels) {
      for (const base of bases) {
        const now = current.find((r) => formatChannel(r.channel) === formatChannel(c) && sameBase(r.base, base))
        if (now?.revision === revision) {
          unchanged++
          continue
        }
        await w.setRelease(pkg.id, slotOf(c, base), revision)
        changes.push({ slot: slotLabel(c, base), from: now?.revision ?? null, to: revision })
      }
    }
    if (changes.length > 0) {
      await w.touchPackage(pkg.id)
      await w.record(actor, {
        action: 'release',
        packageType: pkg.type,
        packageName: pkg.name,
        packageId: pkg.id,
        revisions: [revision],
        channels: changes.map((c) => c.slot),
        detail: { changes },
      })
    }
    return { package: pkg, changes, unchanged }
  })
}

/** Closes channels: clients then get the next more stable open risk of the track (docs/decisions/0016). */
export async function closeChannels(
  store: OperationsStore,
  actor: Actor,
  t: Target & { channels: readonly string[] },
): Promise<ChannelOutcome> {
  const channels = uniqueChannels(parseChannels(t.channels))
  return store.transaction(async (w) => {
    const pkg = await findPackage(w, t)
    const current = await w.releases(pkg.id)
    if (t.base !== undefined || t.arch !== undefined) {
      // A filter no revision supports is a mistake, not an already-closed slot.
      const platforms = [...(await w.revisions(pkg.id)).flatMap((r) => r.platforms), ...current.map((r) => r.base)]
      try {
        releaseSlots(pkg, { revision: 0, platforms }, t)
      } catch {
        throw new InvalidInput(
          { field: t.base !== undefined ? '--base' : '--arch' },
          `${pkg.type} ${pkg.name} has no revision for ${[t.base, t.arch].filter((x) => x !== undefined).join(' ')}`,
        )
      }
    }
    const changes: SlotChange[] = []
    let unchanged = 0
    for (const c of channels) {
      const open = closeSlots(pkg, current, c, t)
      if (open.length === 0) {
        if (!(await w.channelEverUsed(pkg.id, c)))
          throw new NotFound(`${pkg.type} ${pkg.name} has never been released to ${formatChannel(c)}`)
        unchanged++
        continue
      }
      for (const r of open) {
        await w.closeSlot(pkg.id, slotOf(c, r.base))
        changes.push({ slot: slotLabel(c, r.base), from: r.revision, to: null })
      }
    }
    if (changes.length > 0) {
      await w.touchPackage(pkg.id)
      await w.record(actor, {
        action: 'close',
        packageType: pkg.type,
        packageName: pkg.name,
        packageId: pkg.id,
        revisions: [...new Set(changes.map((c) => c.from!))],
        channels: changes.map((c) => c.slot),
        detail: { changes },
      })
    }
    return { package: pkg, changes, unchanged }
  })
}

/**
 * Takes revisions (all of them when none is named, and then the package) out of the store. Rows
 * only: blobs stay until the next gc. Channels that pointed at them are closed in the history.
 */
export async function removeRevisions(
  store: OperationsStore,
  actor: Actor,
  t: Target & { revisions: readonly number[]; force: boolean },
): Promise<RemoveOutcome> {
  const asked = [...new Set(t.revisions.map((n) => positiveRevision(n, '--revision')))]
  return store.transaction(async (w) => {
    const candidates = await w.packagesNamed(t.name)
    if (!candidates.some((p) => !t.type || p.type === t.type)) {
      // Gone already: a repeat of an earlier remove is done, not an error.
      const gone = await w.removedAt(t.type, t.name)
      let all = gone !== undefined
      for (const n of asked) if (all && !(await w.removedAt(t.type, t.name, n))) all = false
      if (gone && all)
        return {
          package: { type: gone.type, name: t.name, id: null },
          removed: [],
          alreadyRemoved: asked,
          packageRemoved: asked.length === 0,
          closed: [],
        }
    }
    const pkg = pickPackage(candidates, t.name, t.type)
    const revs = (await w.revisions(pkg.id)).map((r) => r.revision)
    const wanted = asked.length > 0 ? asked : revs
    const removed = wanted.filter((n) => revs.includes(n))
    const alreadyRemoved: number[] = []
    for (const n of wanted.filter((x) => !revs.includes(x))) {
      if (!(await w.removedAt(pkg.type, pkg.name, n))) throw new NotFound(`${pkg.type} ${pkg.name} has no revision ${n} in the store`)
      alreadyRemoved.push(n)
    }
    const remaining = revs.length - removed.length
    const outcome = (closed: string[]): RemoveOutcome => ({
      package: pkg,
      removed,
      alreadyRemoved,
      packageRemoved: removed.length > 0 && remaining === 0,
      closed,
    })
    if (removed.length === 0) return outcome([])
    const blocker = removalBlocker(pkg, remaining, pkg.type === 'charm' ? await w.bundlesNaming(pkg.id) : [], t.force)
    if (blocker) throw new Conflict({}, blocker)
    const closing = (await w.releases(pkg.id)).filter((r) => removed.includes(r.revision))
    for (const r of closing) await w.closeSlot(pkg.id, slotOf(r.channel, r.base))
    if (remaining === 0) await w.deletePackage(pkg.id)
    else {
      await w.deleteRevisions(pkg.id, removed)
      await w.touchPackage(pkg.id)
    }
    const closed = closing.map((r) => slotLabel(r.channel, r.base))
    await w.record(actor, {
      action: 'remove',
      packageType: pkg.type,
      packageName: pkg.name,
      packageId: pkg.id,
      revisions: removed,
      channels: closed,
      detail: { packageRemoved: remaining === 0, ...(t.force ? { force: true } : {}) },
    })
    return outcome(closed)
  })
}
