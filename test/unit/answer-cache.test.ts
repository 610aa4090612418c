// The answer cache every hot route keeps its answers in: found by (handle, shape), dropped whole
// when the catalog's generation moves, never given a value made from an older generation, bounded
// in bytes with second-chance eviction.
import { describe, expect, it } from 'vitest'
import { AnswerCache } from '../../src/http/answer-cache.js'
import { HitCounter } from '../../src/catalog/cache-stats.js'

const make = (maxBytes = 100_000) => {
  const catalog = { generation: 1 }
  const counts = new HitCounter()
  return { catalog, counts, cache: new AnswerCache<string>(catalog, maxBytes, (v) => v.length, counts) }
}

describe('AnswerCache', () => {
  it('finds a value by handle and shape, and counts hits and misses', () => {
    const { cache, counts } = make()
    cache.set('pg', 'stable', 'A', 1)
    expect(cache.get('pg', 'stable')).toBe('A')
    expect(cache.get('pg', 'edge')).toBeUndefined()
    expect(cache.get('mysql', 'stable')).toBeUndefined()
    expect(counts).toMatchObject({ hits: 1, misses: 2 })
  })

  it('drops everything when the catalog generation moves', () => {
    const { cache, catalog } = make()
    cache.set('pg', 'stable', 'A', 1)
    cache.set('mysql', 'stable', 'B', 1)
    catalog.generation = 2
    expect(cache.get('mysql', 'stable')).toBeUndefined()
    expect(cache.size).toBe(0)
    expect(cache.bytes).toBe(0)
    cache.set('pg', 'stable', 'A2', 2)
    expect(cache.get('pg', 'stable')).toBe('A2')
  })

  it('does not keep a value made from an older generation (a request in flight across a change)', () => {
    const { cache, catalog } = make()
    catalog.generation = 2
    cache.set('pg', 'stable', 'stale', 1)
    expect(cache.get('pg', 'stable')).toBeUndefined()
    // Nor one made before a change the cache has not seen yet.
    cache.set('pg', 'stable', 'fresh', 2)
    catalog.generation = 3
    cache.set('mysql', 'stable', 'stale', 2)
    expect(cache.size).toBe(1)
    expect(cache.get('pg', 'stable')).toBeUndefined()
  })

  it('stays within its bytes, counting values and keys, and evicts entries not used since last passed over', () => {
    const each = 1000 + 2 * ('hX'.length + 's'.length)
    const { cache } = make(10 * (each + 200))
    for (let i = 0; i < 10; i++) cache.set(`h${i}`, 's', 'v'.repeat(1000), 1)
    expect(cache.size).toBe(10)
    expect(cache.get('h0', 's')).toBeDefined() // h0 gets a second chance
    cache.set('new', 's', 'v'.repeat(1000), 1)
    expect(cache.bytes).toBeLessThanOrEqual(10 * (each + 200))
    expect(cache.get('h0', 's')).toBeDefined()
    expect(cache.get('h1', 's')).toBeUndefined()
    expect(cache.get('new', 's')).toBeDefined()
    cache.set('new', 's', 'w', 1) // replacing re-weighs
    expect(cache.get('new', 's')).toBe('w')
    cache.set('huge', 's', 'x'.repeat(20_000), 1) // larger than the whole cache: not kept, nothing evicted
    expect(cache.get('huge', 's')).toBeUndefined()
    expect(cache.get('h0', 's')).toBeDefined()
  })

  it('many small values still count against the bound', () => {
    const { cache } = make(50_000)
    for (let i = 0; i < 10_000; i++) cache.set(`h${i}`, 'shape', '', 1)
    expect(cache.bytes).toBeLessThanOrEqual(50_000)
    expect(cache.size).toBeLessThan(1000)
  })
})
