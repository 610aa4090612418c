// A package's revisions in one compact buffer instead of an object graph per revision
// (docs/decisions/0024). A catalog of a million revisions held each as objects (digests as hex
// strings, a timestamp string, a Map entry) spends most of the server's memory on them; packed, a
// revision is a fixed-size record of numbers and raw digest bytes, and values many revisions share
// (versions, platforms, snap `extra`, attached resources) are stored once in the load's PackTables
// and referred to by index. Anything a record cannot hold exactly (digests that are not lower-case
// hex of the usual length, a timestamp in another format) is kept as given, so packing never
// changes what is served.
//
// It is a ReadonlyMap<number, IndexedRevision>: get() builds the revision's plain object on demand,
// so selection and the wire mappers read revisions as before.
import type { Base } from './base.js'
import type { IndexedRevision } from './index.js'
import type { Digests } from './model.js'

// Record layout (little-endian), one per revision, sorted by revision number.
const REVISION = 0 // int32
const FLAGS = 4 // uint8
const VERSION = 8 // uint32: PackTables value
const PLATFORMS = 12 // uint32: PackTables value
const EXTRA = 16 // uint32: PackTables value
const RESOURCES = 20 // uint32: PackTables value
const CREATED = 24 // float64: epoch ms, or a PackTables value when F_TEXT_DATE
const SIZE = 32 // float64
const SHA256 = 40 // 32 bytes
const SHA384 = 72 // 48 bytes
const SHA3_384 = 120 // 48 bytes
export const RECORD_BYTES = 168

const F_SUBORDINATE = 1
const F_EXTRA = 2 // has `extra` (snaps); charms and bundles have none
const F_TEXT_DATE = 4 // createdAt kept as text
const F_TEXT_BLOB = 8 // blob kept as given (in `odd`)

/**
 * Values shared by the revisions of one load, each stored once. Keys are JSON texts, so equal
 * values share one frozen object whatever their source. seal() drops the lookup once the load is
 * done: the values stay, and a later load gets tables of its own.
 */
export class PackTables {
  private readonly values: unknown[] = []
  private lookup: Map<string, number> | undefined = new Map()
  // Readers hand the same object for every revision that shares a value: skip its JSON text then.
  private byObject: WeakMap<object, number> | undefined = new WeakMap()

  /** Index of the value `key` stands for; `make` builds it the first time. */
  intern(key: string, make: () => unknown): number {
    let i = this.lookup?.get(key)
    if (i === undefined) {
      i = this.values.length
      this.values.push(deepFreeze(make()))
      this.lookup?.set(key, i)
    }
    return i
  }

  /** Index of a JSON value (kind: a prefix keeping kinds apart). */
  internJson(kind: string, value: object): number {
    let i = this.byObject?.get(value)
    if (i === undefined) {
      i = this.intern(kind + JSON.stringify(value), () => structuredClone(value))
      this.byObject?.set(value, i)
    }
    return i
  }

  value(i: number): unknown {
    return this.values[i]
  }

  get size(): number {
    return this.values.length
  }

  seal(): void {
    this.lookup = undefined
    this.byObject = undefined
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}

// The timestamp form the catalog reader produces (index-loader.ts): milliseconds, then "000" and
// the UTC offset. Read by position: a million of them are parsed at a full load.
const pad = (n: number, w = 2): string => String(n).padStart(w, '0')

function formatCreated(ms: number): string {
  const d = new Date(ms)
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}000+00:00`
}

const SHAPE = '0000-00-00T00:00:00.000000+00:00'
const daysIn = (y: number, m: number): number => new Date(Date.UTC(y, m, 0)).getUTCDate()

/** Epoch ms of `text` if formatCreated gives it back exactly, else undefined. */
function parseCreated(text: string): number | undefined {
  if (text.length !== SHAPE.length) return undefined
  for (let i = 0; i < SHAPE.length; i++) {
    const want = SHAPE.charCodeAt(i)
    const c = text.charCodeAt(i)
    if (want === 48 ? c < 48 || c > 57 : c !== want) return undefined
  }
  if (!text.endsWith('000+00:00')) return undefined
  const num = (from: number, to: number): number => Number(text.slice(from, to))
  const [y, mo, d, h, mi, sec, ms] = [num(0, 4), num(5, 7), num(8, 10), num(11, 13), num(14, 16), num(17, 19), num(20, 23)]
  // Date.UTC reads years below 100 as 19xx; such dates are kept as text.
  if (y < 1000 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || sec > 59) return undefined
  return Date.UTC(y, mo - 1, d, h, mi, sec, ms)
}

const UPPER_HEX = /[A-F]/

/** Writes `text` as `bytes` raw bytes at `at` if it is exactly lower-case hex of that length. */
function writeHex(buf: Buffer, text: string, at: number, bytes: number): boolean {
  // Buffer.write stops at the first character that is not hex; it takes upper case too, which
  // would come back lower-cased.
  return text.length === bytes * 2 && buf.write(text, at, bytes, 'hex') === bytes && !UPPER_HEX.test(text)
}

export class PackedRevisions implements ReadonlyMap<number, IndexedRevision> {
  private constructor(
    private readonly buf: Buffer,
    private readonly count: number,
    private readonly tables: PackTables,
    /** Blobs a record cannot hold exactly, by record index. */
    private readonly odd: ReadonlyMap<number, Digests> | undefined,
  ) {}

  static pack(revisions: Iterable<IndexedRevision>, tables: PackTables): PackedRevisions {
    // One record per number, the last one given winning, as Map.set would.
    const byNumber = new Map<number, IndexedRevision>()
    for (const r of revisions) byNumber.set(r.revision, r)
    const sorted = [...byNumber.values()].sort((a, b) => a.revision - b.revision)
    const buf = Buffer.alloc(sorted.length * RECORD_BYTES)
    let odd: Map<number, Digests> | undefined
    sorted.forEach((r, i) => {
      const o = i * RECORD_BYTES
      let flags = r.subordinate ? F_SUBORDINATE : 0
      buf.writeInt32LE(r.revision, o + REVISION)
      buf.writeUInt32LE(
        tables.intern(`v${r.version}`, () => r.version),
        o + VERSION,
      )
      buf.writeUInt32LE(tables.internJson('p', r.platforms), o + PLATFORMS)
      if (r.extra !== undefined) {
        flags |= F_EXTRA
        buf.writeUInt32LE(tables.internJson('e', r.extra), o + EXTRA)
      }
      buf.writeUInt32LE(tables.internJson('r', r.resources), o + RESOURCES)
      const ms = parseCreated(r.createdAt)
      if (ms === undefined) {
        flags |= F_TEXT_DATE
        buf.writeDoubleLE(
          tables.intern(`d${r.createdAt}`, () => r.createdAt),
          o + CREATED,
        )
      } else buf.writeDoubleLE(ms, o + CREATED)
      if (
        Number.isFinite(r.blob.size) &&
        writeHex(buf, r.blob.sha256, o + SHA256, 32) &&
        writeHex(buf, r.blob.sha384, o + SHA384, 48) &&
        writeHex(buf, r.blob.sha3_384, o + SHA3_384, 48)
      ) {
        buf.writeDoubleLE(r.blob.size, o + SIZE)
      } else {
        flags |= F_TEXT_BLOB
        ;(odd ??= new Map()).set(i, { sha256: r.blob.sha256, sha384: r.blob.sha384, sha3_384: r.blob.sha3_384, size: r.blob.size })
      }
      buf.writeUInt8(flags, o + FLAGS)
    })
    return new PackedRevisions(buf, sorted.length, tables, odd)
  }

  /** Bytes held by the records themselves (shared values are counted once, in their tables). */
  get packedBytes(): number {
    return this.buf.byteLength
  }

  get size(): number {
    return this.count
  }

  /** The record index of revision `n`, or -1. */
  private find(n: number): number {
    let lo = 0
    let hi = this.count - 1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      const v = this.buf.readInt32LE(mid * RECORD_BYTES + REVISION)
      if (v === n) return mid
      if (v < n) lo = mid + 1
      else hi = mid - 1
    }
    return -1
  }

  has(n: number): boolean {
    return this.find(n) >= 0
  }

  get(n: number): IndexedRevision | undefined {
    const i = this.find(n)
    return i < 0 ? undefined : this.at(i)
  }

  /** Each revision's blob as [blobKey, size], without building the revisions. */
  *blobKeys(): Generator<[string, number]> {
    for (let i = 0; i < this.count; i++) {
      const o = i * RECORD_BYTES
      if (this.buf.readUInt8(o + FLAGS) & F_TEXT_BLOB) {
        const b = this.odd!.get(i)!
        yield [blobKey(b.sha256), b.size]
      } else yield [this.buf.toString('latin1', o + SHA256, o + SHA256 + 32), this.buf.readDoubleLE(o + SIZE)]
    }
  }

  /** The blob of revision `n`. */
  blobOf(n: number): Digests | undefined {
    const i = this.find(n)
    return i < 0 ? undefined : this.blobAt(i)
  }

  private blobAt(i: number): Digests {
    const o = i * RECORD_BYTES
    if (this.buf.readUInt8(o + FLAGS) & F_TEXT_BLOB) return this.odd!.get(i)!
    return {
      sha256: this.buf.toString('hex', o + SHA256, o + SHA256 + 32),
      sha384: this.buf.toString('hex', o + SHA384, o + SHA384 + 48),
      sha3_384: this.buf.toString('hex', o + SHA3_384, o + SHA3_384 + 48),
      size: this.buf.readDoubleLE(o + SIZE),
    }
  }

  private at(i: number): IndexedRevision {
    const o = i * RECORD_BYTES
    const flags = this.buf.readUInt8(o + FLAGS)
    const created = this.buf.readDoubleLE(o + CREATED)
    const rev: IndexedRevision = {
      revision: this.buf.readInt32LE(o + REVISION),
      version: this.tables.value(this.buf.readUInt32LE(o + VERSION)) as string,
      createdAt: flags & F_TEXT_DATE ? (this.tables.value(created) as string) : formatCreated(created),
      platforms: this.tables.value(this.buf.readUInt32LE(o + PLATFORMS)) as readonly Base[],
      blob: this.blobAt(i),
      resources: this.tables.value(this.buf.readUInt32LE(o + RESOURCES)) as IndexedRevision['resources'],
      subordinate: (flags & F_SUBORDINATE) !== 0,
      ...(flags & F_EXTRA ? { extra: this.tables.value(this.buf.readUInt32LE(o + EXTRA)) as Readonly<Record<string, unknown>> } : {}),
    }
    return rev
  }

  *keys(): MapIterator<number> {
    for (let i = 0; i < this.count; i++) yield this.buf.readInt32LE(i * RECORD_BYTES + REVISION)
  }

  *values(): MapIterator<IndexedRevision> {
    for (let i = 0; i < this.count; i++) yield this.at(i)
  }

  *entries(): MapIterator<[number, IndexedRevision]> {
    for (let i = 0; i < this.count; i++) {
      const r = this.at(i)
      yield [r.revision, r]
    }
  }

  [Symbol.iterator](): MapIterator<[number, IndexedRevision]> {
    return this.entries()
  }

  forEach(fn: (value: IndexedRevision, key: number, map: ReadonlyMap<number, IndexedRevision>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this)
  }
}

/**
 * A short key standing for a blob's sha256 (its raw bytes as a latin1 string when it is hex), for
 * counting distinct blobs over the whole catalog without a 64-character string for each.
 */
export function blobKey(sha256: string): string {
  const raw = Buffer.alloc(32)
  return writeHex(raw, sha256, 0, 32) ? raw.toString('latin1') : sha256
}

/** Every revision's blob as [blobKey, size]. */
export function revisionBlobKeys(revisions: ReadonlyMap<number, IndexedRevision>): Iterable<[string, number]> {
  if (revisions instanceof PackedRevisions) return revisions.blobKeys()
  return [...revisions.values()].map((r): [string, number] => [blobKey(r.blob.sha256), r.blob.size])
}
