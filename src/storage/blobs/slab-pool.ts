// Fixed-size slabs of shared memory for the blob writer, reused instead of allocated per chunk. A
// slab goes to two readers at once, the hash thread(s) and the storage driver, and comes back to the
// pool only when both have released it; until then its bytes must not change. Allocating a fresh
// slab each time left the freeing to the garbage collector, which lets shared memory pile up well
// past what is in use (decision 0018; figures in the README benchmark table).

export interface Slab {
  readonly sab: SharedArrayBuffer
  /** A Buffer over the whole of `sab`. */
  readonly bytes: Buffer
}

export class SlabPool {
  private readonly spare: Slab[] = []

  constructor(
    readonly slabBytes: number,
    /** Released slabs kept for reuse; any beyond are left to the garbage collector. */
    private readonly maxSpare: number,
  ) {}

  take(): Slab {
    const s = this.spare.pop()
    if (s) return s
    const sab = new SharedArrayBuffer(this.slabBytes)
    return { sab, bytes: Buffer.from(sab) }
  }

  give(slab: Slab): void {
    if (this.spare.length < this.maxSpare && slab.sab.byteLength === this.slabBytes) this.spare.push(slab)
  }

  /** Slabs waiting for reuse (for tests). */
  get spareCount(): number {
    return this.spare.length
  }
}

/**
 * A slab lent to several named holders ('hash', 'driver'): back to `pool`, and `onFree` called, once
 * each has released it. A holder's second release is ignored, so it cannot free the slab while
 * another holder still reads it.
 */
export class SharedSlab {
  private readonly holding: Set<string>

  constructor(
    readonly slab: Slab,
    holders: readonly string[],
    private readonly pool: SlabPool,
    private readonly onFree: () => void,
  ) {
    this.holding = new Set(holders)
  }

  release(holder: string): void {
    if (!this.holding.delete(holder) || this.holding.size > 0) return
    this.pool.give(this.slab)
    this.onFree()
  }
}
