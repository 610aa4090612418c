// Values derived from an indexed package (wire JSON of one of its results, say), kept per package
// object. The index replaces a package's object whenever the package is reloaded (CatalogIndex.put),
// so a lookup with the current object never sees a value made from an older one: no invalidation
// call is needed, and entries of replaced objects, never used again, are the first to go.
// Entries hang off their package object (a WeakMap), each package holding a small map of its own:
// a lookup is an identity hash plus a short key, where one big map keyed by package and request
// shape cost a long key string hashed and compared per lookup (30 lookups a snap refresh,
// bench/snapstore). Bounded by total weight (e.g. bytes of JSON). Eviction is "second chance"
// (CLOCK): a hit only sets a flag, where a strict LRU would move the entry on every hit; the oldest
// entries go first unless used since they were last passed over.
import type { IndexedPackage } from './index.js'
import { HitCounter } from './cache-stats.js'

interface Entry<K, V> { readonly pkg: IndexedPackage; readonly key: K; readonly value: V; readonly weight: number; used: boolean }

export class DerivedCache<K, V> {
  private readonly byPackage = new WeakMap<IndexedPackage, Map<K, Entry<K, V>>>()
  /** Every entry, oldest first: the CLOCK's hand goes round this. */
  private readonly ring = new Set<Entry<K, V>>()
  private total = 0

  /** `weigh` should count the key too where keys can be long (request shapes): a cache bounded in bytes. */
  constructor(
    private readonly maxWeight: number,
    private readonly weigh: (value: V, key: K) => number = () => 1,
    private readonly counts: HitCounter = new HitCounter(),
  ) {}

  /** The value stored under `key` for this very package object; undefined otherwise. */
  get(pkg: IndexedPackage, key: K): V | undefined {
    const e = this.byPackage.get(pkg)?.get(key)
    if (!e) { this.counts.misses++; return undefined }
    this.counts.hits++
    e.used = true
    return e.value
  }

  set(pkg: IndexedPackage, key: K, value: V): void {
    let mine = this.byPackage.get(pkg)
    const old = mine?.get(key)
    if (old) this.drop(old)
    const weight = this.weigh(value, key)
    if (weight > this.maxWeight) return
    while (this.total + weight > this.maxWeight) this.evictOne()
    if (!mine) { mine = new Map(); this.byPackage.set(pkg, mine) }
    const e: Entry<K, V> = { pkg, key, value, weight, used: false }
    mine.set(key, e)
    this.ring.add(e)
    this.total += weight
  }

  get size(): number { return this.ring.size }
  get weight(): number { return this.total }

  private drop(e: Entry<K, V>): void {
    this.ring.delete(e)
    this.byPackage.get(e.pkg)?.delete(e.key)
    this.total -= e.weight
  }

  /** The oldest entry not used since it was last passed over; used ones move to the back, unflagged. */
  private evictOne(): void {
    for (const e of this.ring) {
      this.ring.delete(e)
      if (!e.used) {
        this.byPackage.get(e.pkg)?.delete(e.key)
        this.total -= e.weight
        return
      }
      e.used = false
      this.ring.add(e)
    }
  }
}

/**
 * The value last kept or used per handle (a snap-id, a charm name) with its key, valid for the index
 * generation the handle was resolved in: while nothing in the index changes, a handle names the
 * same package object, so the value is found without looking the package (and its DerivedCache
 * entries) up. Callers pass the generation at which they looked the package up; a value computed
 * across a change (an import finished meanwhile) is not remembered. Bounded in bytes (`weigh` of
 * each value plus its handle and key): cleared when it outgrows `maxBytes`, since a value it holds may
 * have left the DerivedCache it came from, and would be kept alive here.
 */
export class RecentByHandle<V> {
  private readonly entries = new Map<string, { readonly generation: number; readonly key: string; readonly value: V; readonly bytes: number }>()
  private total = 0

  constructor(
    private readonly index: { readonly generation: number },
    private readonly maxBytes: number,
    private readonly weigh: (value: V) => number,
    private readonly counts: HitCounter = new HitCounter(),
  ) {}

  get(handle: string, key: string): V | undefined {
    const e = this.entries.get(handle)
    if (e && e.generation === this.index.generation && e.key === key) { this.counts.hits++; return e.value }
    this.counts.misses++
    return undefined
  }

  remember(handle: string, key: string, value: V, generation: number): void {
    if (generation !== this.index.generation) return
    const bytes = this.weigh(value) + handle.length + key.length + ENTRY_OVERHEAD
    const old = this.entries.get(handle)
    if (old) this.total -= old.bytes
    if (this.total + bytes > this.maxBytes) { this.entries.clear(); this.total = 0 }
    this.entries.set(handle, { generation, key, value, bytes })
    this.total += bytes
  }

  get weight(): number { return this.total }
}

/** A Map entry and its record, roughly: so that many small values still count. */
const ENTRY_OVERHEAD = 100
