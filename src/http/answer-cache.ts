// One hot route's answers (or parts of answers), kept between requests: the only answer cache a
// route has (docs/decisions/0020). An entry is found by its request shape, split in two strings:
// the package the request names (a snap-id, a charm name: the handle) and everything else selection
// and rendering read (channel, base, fields, the public URL base ...), both derived by the route from
// one shape value (catalog/refresh-actions.ts, catalog/snap-select.ts). Two levels, because a
// device's refresh asks for many packages with one repeated shape: the inner string is the same
// object action after action, and V8 keeps its hash.
// Everything kept was made from one catalog generation: when the index changes (an import, a
// release, another replica's change), the whole cache is dropped at the next lookup, and a value
// made from an older generation is never stored.
// Bounded by bytes (the weight of each value plus its strings). Eviction is "second chance"
// (CLOCK): a hit only sets a flag, where a strict LRU would move the entry on every hit.
import type { HitCounter } from '../catalog/cache-stats.js'

interface Entry<V> {
  readonly handle: string
  readonly shape: string
  readonly value: V
  readonly bytes: number
  used: boolean
}

export class AnswerCache<V> {
  private readonly byHandle = new Map<string, Map<string, Entry<V>>>()
  /** Every entry, oldest first: the CLOCK's hand goes round this. */
  private readonly ring = new Set<Entry<V>>()
  private total = 0
  private generation: number

  /** `catalog.generation` changes whenever anything an answer depends on may have changed. */
  constructor(
    private readonly catalog: { readonly generation: number },
    private readonly maxBytes: number,
    private readonly weigh: (value: V) => number,
    private readonly counts: HitCounter,
  ) {
    this.generation = catalog.generation
  }

  get(handle: string, shape: string): V | undefined {
    if (this.catalog.generation !== this.generation) this.clear(this.catalog.generation)
    const e = this.byHandle.get(handle)?.get(shape)
    if (!e) {
      this.counts.misses++
      return undefined
    }
    this.counts.hits++
    e.used = true
    return e.value
  }

  /** `generation`: the catalog generation the value was made from (read before selection began). */
  set(handle: string, shape: string, value: V, generation: number): void {
    if (generation !== this.catalog.generation) return
    if (generation !== this.generation) this.clear(generation)
    const old = this.byHandle.get(handle)?.get(shape)
    if (old) this.drop(old)
    // Strings as V8 may hold them, two bytes a unit, and the maps' own records.
    const bytes = this.weigh(value) + (handle.length + shape.length) * 2 + ENTRY_OVERHEAD
    if (bytes > this.maxBytes) return
    while (this.total + bytes > this.maxBytes) this.evictOne()
    let mine = this.byHandle.get(handle)
    if (!mine) {
      mine = new Map()
      this.byHandle.set(handle, mine)
    }
    const e: Entry<V> = { handle, shape, value, bytes, used: false }
    mine.set(shape, e)
    this.ring.add(e)
    this.total += bytes
  }

  get size(): number {
    return this.ring.size
  }
  /** Bytes the kept entries are counted at (tests check the bound). */
  get bytes(): number {
    return this.total
  }

  private clear(generation: number): void {
    this.byHandle.clear()
    this.ring.clear()
    this.total = 0
    this.generation = generation
  }

  private drop(e: Entry<V>): void {
    this.ring.delete(e)
    const mine = this.byHandle.get(e.handle)
    mine?.delete(e.shape)
    if (mine?.size === 0) this.byHandle.delete(e.handle)
    this.total -= e.bytes
  }

  /** The oldest entry not used since it was last passed over; used ones move to the back, unflagged. */
  private evictOne(): void {
    for (const e of this.ring) {
      if (!e.used) {
        this.drop(e)
        return
      }
      e.used = false
      this.ring.delete(e)
      this.ring.add(e)
    }
  }
}

/** A Map entry and its record, roughly: so that many small values still count. */
const ENTRY_OVERHEAD = 160
