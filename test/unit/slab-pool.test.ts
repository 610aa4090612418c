// The slab pool (src/storage/blobs/slab-pool.ts): a slab goes back for reuse only once every holder
// has released it, a holder's second release changes nothing, and spares are capped.
import { describe, expect, it } from 'vitest'
import { SharedSlab, SlabPool } from '../../src/storage/blobs/slab-pool.js'

describe('slab pool', () => {
  it('reuses a slab only after both the hashes and the driver released it', () => {
    const pool = new SlabPool(1024, 4)
    const slab = pool.take()
    expect(slab.bytes.length).toBe(1024)
    let freed = 0
    const shared = new SharedSlab(slab, ['hash', 'driver'], pool, () => freed++)
    shared.release('hash')
    shared.release('hash')
    expect(freed).toBe(0)
    expect(pool.take()).not.toBe(slab)
    shared.release('driver')
    expect(freed).toBe(1)
    shared.release('driver')
    expect(freed).toBe(1)
    expect(pool.take()).toBe(slab)
  })

  it('keeps at most its cap of spare slabs', () => {
    const pool = new SlabPool(1024, 2)
    const slabs = [pool.take(), pool.take(), pool.take()]
    for (const s of slabs) pool.give(s)
    expect(pool.spareCount).toBe(2)
  })
})
