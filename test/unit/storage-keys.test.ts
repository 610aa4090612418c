// The driver key grammar: what a key may be, so no driver is handed a path out of its root.
import { describe, expect, it } from 'vitest'
import { checkKey, isKeySegment } from '../../src/storage/blobs/keys.js'

describe('storage keys', () => {
  it('accepts the keys the content store builds', () => {
    for (const k of ['blobs/sha256/ab/' + 'ab'.repeat(32), 'tmp/blob-0123456789abcdef01234567', 'a', 'a.b_c-d/e'])
      expect(checkKey(k)).toBe(k)
  })

  it('refuses anything that could leave the root or that no digest produces, as ENOENT', () => {
    for (const k of ['', '.', '..', '../x', 'a/../b', 'a/./b', '/a', 'a/', 'a//b', 'A', 'a b', 'a\\b', 'a\0b', 'é', 'x'.repeat(1025)]) {
      expect(() => checkKey(k), JSON.stringify(k)).toThrow(expect.objectContaining({ code: 'ENOENT' }))
    }
    expect(isKeySegment('..')).toBe(false)
    expect(isKeySegment('blob-1')).toBe(true)
  })
})
