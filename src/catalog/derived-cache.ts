// Values derived from an indexed package (wire JSON of one of its revisions, say), kept while that
// package object is the index's current one. The index replaces a package's object whenever the
// package is reloaded (CatalogIndex.put), so an entry made from an older object is never returned:
// no invalidation call is needed. Bounded by total weight (e.g. bytes of JSON). Eviction is
// "second chance" (CLOCK): a hit only sets a flag, where a strict LRU would move the entry on every
// hit (a Map delete and set: measurable at 30 hits a request, bench/snapstore); the oldest entries
// go first unless used since they were last passed over. Keys may be objects of the package (an
// IndexedRevision): a Map looks those up by identity, with no key string to build and hash.
import type { IndexedPackage } from './index.js'

interface Entry<V> { readonly pkg: IndexedPackage; readonly value: V; readonly weight: number; used: boolean }

export class DerivedCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>()
  private total = 0

  constructor(private readonly maxWeight: number, private readonly weigh: (value: V) => number = () => 1) {}

  /** The value stored under `key` from this very package object; undefined otherwise. */
  get(key: K, pkg: IndexedPackage): V | undefined {
    const e = this.entries.get(key)
    if (!e) return undefined
    if (e.pkg !== pkg) { this.drop(key, e); return undefined }
    e.used = true
    return e.value
  }

  set(key: K, pkg: IndexedPackage, value: V): void {
    const old = this.entries.get(key)
    if (old) this.drop(key, old)
    const weight = this.weigh(value)
    if (weight > this.maxWeight) return
    while (this.total + weight > this.maxWeight) this.evictOne()
    this.entries.set(key, { pkg, value, weight, used: false })
    this.total += weight
  }

  get size(): number { return this.entries.size }
  get weight(): number { return this.total }

  private drop(key: K, e: Entry<V>): void {
    this.entries.delete(key)
    this.total -= e.weight
  }

  /** The oldest entry not used since it was last passed over; used ones move to the back, unflagged. */
  private evictOne(): void {
    for (;;) {
      const first = this.entries.entries().next()
      if (first.done) return
      const [k, e] = first.value
      this.entries.delete(k)
      if (!e.used) { this.total -= e.weight; return }
      e.used = false
      this.entries.set(k, e)
    }
  }
}
