// PackedRevisions (src/catalog/packed-revisions.ts): what goes in comes out, field for field,
// whether a record holds it packed or keeps it as given, and it reads as the Map it replaces.
import { describe, expect, it } from 'vitest'
import { blobKey, PackedRevisions, PackTables, RECORD_BYTES, revisionBlobKeys } from '../../src/catalog/packed-revisions.js'
import type { IndexedRevision } from '../../src/catalog/index.js'

const hex = (seed: string, len: number): string => seed.repeat(len).slice(0, len)

const charm = (revision: number, over: Partial<IndexedRevision> = {}): IndexedRevision => ({
  revision,
  version: `1.${revision}`,
  createdAt: `2025-01-0${(revision % 9) + 1}T12:34:56.789000+00:00`,
  platforms: [{ name: 'ubuntu', channel: '22.04', architecture: 'amd64' }],
  blob: { sha256: hex('0a1b', 64), sha384: hex('9f8e', 96), sha3_384: hex('c3d2', 96), size: 1234567 + revision },
  resources: [],
  subordinate: false,
  ...over,
})

const snap = (revision: number, over: Partial<IndexedRevision> = {}): IndexedRevision =>
  charm(revision, {
    platforms: [{ name: '', channel: '', architecture: 'arm64' }],
    extra: { confinement: 'classic', grade: 'devel', base: 'core24', type: 'app', epoch: { read: [0, 1], write: [1] }, store: 'ubuntu' },
    ...over,
  })

describe('PackedRevisions', () => {
  it('gives back every field of every revision exactly', () => {
    const input = [
      charm(1),
      charm(2, {
        subordinate: true,
        resources: [
          { name: 'img', revision: 3 },
          { name: 'file', revision: 1 },
        ],
        version: 'v2-ü',
      }),
      snap(7),
      charm(2_000_000_000, { blob: { sha256: hex('f', 64), sha384: hex('0', 96), sha3_384: hex('e', 96), size: 2 ** 52 } }),
      charm(0, { blob: { sha256: hex('1', 64), sha384: hex('2', 96), sha3_384: hex('3', 96), size: 0 }, platforms: [] }),
    ]
    const packed = PackedRevisions.pack(input, new PackTables())
    expect(packed.size).toBe(5)
    for (const r of input) expect(packed.get(r.revision)).toStrictEqual(r)
    expect(packed.get(7)!.extra).toEqual(input[2]!.extra)
    expect('extra' in packed.get(1)!).toBe(false)
    expect(packed.blobOf(2)).toEqual(input[1]!.blob)
    expect(packed.packedBytes).toBe(5 * RECORD_BYTES)
  })

  it('keeps what a record cannot hold as given: digests that are not lower-case hex, timestamps in another form', () => {
    const odd = [
      charm(1, { blob: { sha256: 'a'.repeat(64), sha384: 'x', sha3_384: 'y', size: 1 } }),
      charm(2, { blob: { sha256: hex('AB', 64), sha384: hex('0', 96), sha3_384: hex('0', 96), size: 5 } }),
      charm(3, { createdAt: '2025-01-01T00:00:00Z' }),
      charm(4, { createdAt: '2025-02-30T00:00:00.000000+00:00' }), // no such day: never normalised to March
      charm(5, { createdAt: '2025-01-01T00:00:00.000123+00:00' }), // microseconds a ms count cannot hold
      charm(6, { blob: { sha256: hex('a', 64), sha384: hex('b', 96), sha3_384: hex('c', 96), size: 1.5 } }),
    ]
    const packed = PackedRevisions.pack(odd, new PackTables())
    for (const r of odd) expect(packed.get(r.revision)).toStrictEqual(r)
  })

  it('reads as a Map: sorted keys, values, entries, has, forEach, the last of duplicate numbers', () => {
    const packed = PackedRevisions.pack([charm(5), charm(1), charm(3), charm(1, { version: 'again' })], new PackTables())
    expect([...packed.keys()]).toEqual([1, 3, 5])
    expect([...packed.values()].map((r) => r.revision)).toEqual([1, 3, 5])
    expect([...packed].map(([k, v]) => [k, v.revision])).toEqual([
      [1, 1],
      [3, 3],
      [5, 5],
    ])
    expect(packed.get(1)!.version).toBe('again')
    expect(packed.has(3)).toBe(true)
    expect(packed.has(4)).toBe(false)
    expect(packed.get(4)).toBeUndefined()
    expect(packed.get(0)).toBeUndefined()
    expect(packed.get(6)).toBeUndefined()
    const seen: number[] = []
    packed.forEach((v, k, m) => {
      expect(m).toBe(packed)
      seen.push(k)
    })
    expect(seen).toEqual([1, 3, 5])
    const empty = PackedRevisions.pack([], new PackTables())
    expect(empty.size).toBe(0)
    expect(empty.get(1)).toBeUndefined()
    expect([...empty.values()]).toEqual([])
  })

  it('stores a shared value once, frozen, whichever package or object it came from', () => {
    const tables = new PackTables()
    const a = PackedRevisions.pack([snap(1), snap(2)], tables)
    const b = PackedRevisions.pack([snap(1, { version: '1.2' })], tables)
    // versions 1.1 and 1.2, one platforms list, one extra, one (empty) resources list
    expect(tables.size).toBe(5)
    expect(a.get(1)!.extra).toBe(b.get(1)!.extra)
    expect(a.get(2)!.platforms).toBe(b.get(1)!.platforms)
    expect(Object.isFrozen(a.get(1)!.extra)).toBe(true)
    expect(Object.isFrozen((a.get(1)!.extra!.epoch as { read: number[] }).read)).toBe(true)
    tables.seal()
    // After sealing, values still read; a later pack still works (without sharing).
    const c = PackedRevisions.pack([snap(3)], tables)
    expect(c.get(3)).toStrictEqual(snap(3))
    expect(a.get(2)).toStrictEqual(snap(2))
  })

  it('hands out copies: a caller changing its input after packing changes nothing', () => {
    const platforms = [{ name: 'ubuntu', channel: '24.04', architecture: 'amd64' }]
    const packed = PackedRevisions.pack([charm(1, { platforms })], new PackTables())
    platforms[0]!.architecture = 's390x'
    expect(packed.get(1)!.platforms[0]!.architecture).toBe('amd64')
  })
})

describe('revisionBlobKeys', () => {
  it('keys a blob the same whether its revision is packed, kept as given, or a plain Map entry', () => {
    const plain = charm(1)
    const odd = charm(2, { blob: { sha256: 'not-hex', sha384: 'x', sha3_384: 'y', size: 7 } })
    const packed = PackedRevisions.pack([plain, odd], new PackTables())
    const fromPacked = [...revisionBlobKeys(packed)]
    const fromMap = [
      ...revisionBlobKeys(
        new Map([
          [1, plain],
          [2, odd],
        ]),
      ),
    ]
    expect(fromPacked).toEqual(fromMap)
    expect(fromPacked).toEqual([
      [blobKey(plain.blob.sha256), plain.blob.size],
      ['not-hex', 7],
    ])
    expect(blobKey(plain.blob.sha256)).toHaveLength(32)
  })
})
