// Refresh results kept between requests (the route's hot path: a device's refresh is mostly kept
// bytes). A found result is its JSON up to the instance-key's value (the action kind), the
// instance-key, and the rest; the rest is a function of the action's shape (catalog/snap-select.ts
// snapActionShape), the package object (replaced whenever the package is reloaded), the revision's
// snap-yaml (immutable) and the public URL base: kept per shape and base for that package object.
// snapd's refresh actions use the snap-id as instance-key (docs/protocol/snap-store.md §4.1): for those the whole result
// is kept, with a leading comma, so most of an answer is copies of kept bytes.
import type { CatalogIndex, IndexedPackage } from '../catalog/index.js'
import { DerivedCache, RecentByHandle } from '../catalog/derived-cache.js'
import type { CacheStats } from '../catalog/cache-stats.js'

/** Bytes of kept whole results (~3 KB each with snap-yaml: ~10,000 snap-and-channel pairs); rests get a quarter of it. */
const MAX_KEPT_BYTES = 32 << 20
/**
 * Whole results found by snap-id alone (the most recent one per snap); cleared when it grows past
 * this, so it must hold every snap a fleet refreshes (~3 KB each) or it would never hit.
 */
const MAX_BY_SNAP_ID_BYTES = 96 << 20

const byteLength = (b: Buffer): number => b.length
// Keys are request shapes with the public URL: a few hundred bytes, counted with the value.
const bufferAndKey = (b: Buffer, key: string): number => b.length + key.length

/** A found result split around its instance-key's value (a JsonTemplate with the rest as bytes). */
export interface SplitResult { readonly head: string; readonly tail: Buffer }

export class KeptResults {
  private readonly rests: DerivedCache<string, SplitResult>
  private readonly wholes: DerivedCache<string, Buffer>
  /**
   * The last whole result kept or used per snap-id: a device's refresh needs no lookup of the
   * package and of its results for each snap (a fifth of the CPU of a 30-snap refresh, bench/snapstore).
   */
  private readonly bySnapId: RecentByHandle<Buffer>

  constructor(private readonly index: CatalogIndex, caches: CacheStats) {
    this.rests = new DerivedCache(MAX_KEPT_BYTES / 4, (r, key) => r.head.length + r.tail.length + key.length, caches.counter('snap_refresh_rest'))
    this.wholes = new DerivedCache(MAX_KEPT_BYTES, bufferAndKey, caches.counter('snap_refresh_whole'))
    this.bySnapId = new RecentByHandle(index, MAX_BY_SNAP_ID_BYTES, byteLength, caches.counter('snap_refresh_by_snap_id'))
  }

  /** The whole result of snap `snapId` under `key`, if it was the last one used and nothing changed since. */
  wholeBySnapId(snapId: string, key: string): Buffer | undefined {
    return this.bySnapId.get(snapId, key)
  }

  whole(pkg: IndexedPackage, key: string): Buffer | undefined {
    const w = this.wholes.get(pkg, key)
    if (w) this.bySnapId.remember(pkg.id, key, w, this.index.generation)
    return w
  }

  /** `generation`: the index generation at which `pkg` was looked up. */
  setWhole(pkg: IndexedPackage, key: string, bytes: Buffer, generation: number): void {
    this.wholes.set(pkg, key, bytes)
    this.bySnapId.remember(pkg.id, key, bytes, generation)
  }

  rest(pkg: IndexedPackage, key: string): SplitResult | undefined { return this.rests.get(pkg, key) }
  setRest(pkg: IndexedPackage, key: string, split: SplitResult): void { this.rests.set(pkg, key, split) }
}
