// Refresh results kept between requests (the route's hot path: a device's refresh is mostly kept
// bytes). A found result is resultHead (action and instance-key) + its rest (to-wire.ts
// foundResultRest), and the rest is a function of the action's shape (catalog/snap-select.ts
// snapActionShape), the package object (replaced whenever the package is reloaded), the revision's
// snap-yaml (immutable) and the public URL base: kept per shape and base for that package object.
// snapd's refresh actions use the snap-id as instance-key (spec §4.1): for those the whole result
// is kept, with a leading comma, so most of an answer is copies of kept bytes.
import type { CatalogIndex, IndexedPackage } from '../catalog/index.js'
import { DerivedCache } from '../catalog/derived-cache.js'

/** Bytes of kept whole results (~3 KB each with snap-yaml: ~10,000 snap-and-channel pairs); rests get a quarter of it. */
const MAX_KEPT_BYTES = 32 << 20
/** Whole results found by snap-id alone (the most recent one per snap); cleared when it grows past this. */
const MAX_BY_SNAP_ID = 20_000

const byteLength = (b: Buffer): number => b.length

export class KeptResults {
  private readonly rests = new DerivedCache<string, Buffer>(MAX_KEPT_BYTES / 4, byteLength)
  private readonly wholes = new DerivedCache<string, Buffer>(MAX_KEPT_BYTES, byteLength)
  /**
   * The last whole result kept or used per snap-id, with its key and the index generation it was
   * found in: while nothing in the index changes, the package object is the same, so a device's
   * refresh needs no lookup of the package and of its results for each snap (a fifth of the CPU
   * of a 30-snap refresh, bench/snapstore).
   */
  private readonly bySnapId = new Map<string, { readonly generation: number; readonly key: string; readonly whole: Buffer }>()

  constructor(private readonly index: CatalogIndex) {}

  /** The whole result of snap `snapId` under `key`, if it was the last one used and nothing changed since. */
  wholeBySnapId(snapId: string, key: string): Buffer | undefined {
    const e = this.bySnapId.get(snapId)
    return e && e.generation === this.index.generation && e.key === key ? e.whole : undefined
  }

  whole(pkg: IndexedPackage, key: string): Buffer | undefined {
    const w = this.wholes.get(pkg, key)
    if (w) this.remember(pkg, key, w)
    return w
  }

  setWhole(pkg: IndexedPackage, key: string, bytes: Buffer): void {
    this.wholes.set(pkg, key, bytes)
    this.remember(pkg, key, bytes)
  }

  rest(pkg: IndexedPackage, key: string): Buffer | undefined { return this.rests.get(pkg, key) }
  setRest(pkg: IndexedPackage, key: string, bytes: Buffer): void { this.rests.set(pkg, key, bytes) }

  private remember(pkg: IndexedPackage, key: string, whole: Buffer): void {
    // Only the index's current object: one kept for an older request may be a replaced one.
    if (this.index.byPackageId(pkg.id) !== pkg) return
    if (this.bySnapId.size >= MAX_BY_SNAP_ID) this.bySnapId.clear()
    this.bySnapId.set(pkg.id, { generation: this.index.generation, key, whole })
  }
}
