// Hit and miss counts of the answer caches, kept as plain numbers: counting costs an increment on
// the hot paths, and whoever reports them (the metrics endpoint) reads them when asked.

export class HitCounter {
  hits = 0
  misses = 0
}

/** The counters of one catalog view's caches, by a fixed cache name (never a package or request). */
export class CacheStats {
  private readonly byName = new Map<string, HitCounter>()

  /** The counter for `name`, made on first use; caches made twice under one name share it. */
  counter(name: string): HitCounter {
    let c = this.byName.get(name)
    if (!c) {
      c = new HitCounter()
      this.byName.set(name, c)
    }
    return c
  }

  entries(): IterableIterator<[string, HitCounter]> {
    return this.byName.entries()
  }
}
