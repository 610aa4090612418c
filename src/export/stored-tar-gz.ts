// The byte layout of an export tarball, computed before anything is downloaded: a tar, possibly holding
// nested .tar.gz members, every gzip level made of stored (uncompressed) deflate blocks. Nothing is
// compressed (the blobs already are, docs/decisions/0015-airlock-export.md), so every blob's bytes have a
// fixed place in the file. Downloads are written straight there, in any order, and each byte is written
// once; the gzip trailers are computed at the end from the blobs' per-segment CRCs.
//
// A blob is cut into segments of SEGMENT bytes. At each gzip level around it, every segment is its own
// stored block, so in the file each segment follows `depth` five-byte block headers.
import { crc32, crc32Combine } from './crc32.js'
import { TAR_END, tarHeader, tarPadding } from './tar-header.js'

/** Deepest gzip nesting of a blob (charm export: outer tarball, then the charm's tarball). */
export const MAX_DEPTH = 2
const MAX_BLOCK = 0xffff
const BLOCK_HEADER = 5
/** Bytes of a blob per stored block, leaving room for the block headers of the levels around it. */
export const SEGMENT = MAX_BLOCK - BLOCK_HEADER * (MAX_DEPTH - 1)

// Magic, deflate, no flags, no mtime (a stable file for the same content), no extra flags, Unix.
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3])

export type Member =
  | { readonly name: string; readonly bytes: Buffer }
  | { readonly name: string; readonly blob: number; readonly size: number }
  /** A nested .tar.gz. */
  | { readonly name: string; readonly members: readonly Member[] }

/** Known bytes, possibly ending in the trailer of a gzip member (known once its CRC is). */
interface Lit {
  readonly kind: 'lit'
  readonly head: Buffer
  readonly trailer?: Gz
}
/** A whole blob, each segment after `depth` block headers. */
interface Run {
  readonly kind: 'run'
  readonly blob: number
  readonly size: number
  readonly depth: number
}
type Atom = Lit | Run
/** A gzip member: its content (atoms at its own level), and the CRC once computed. */
interface Gz {
  readonly atoms: readonly Atom[]
  crc?: number
}

export const segments = (size: number) => Math.ceil(size / SEGMENT)
export const segmentLength = (size: number, k: number) => Math.min(SEGMENT, size - k * SEGMENT)

function atomLength(a: Atom): number {
  if (a.kind === 'lit') return a.head.length + (a.trailer ? 8 : 0)
  return a.size + BLOCK_HEADER * a.depth * segments(a.size)
}

function blockHeader(len: number, final: boolean): Buffer {
  return Buffer.from([final ? 1 : 0, len & 0xff, len >> 8, ~len & 0xff, (~len >> 8) & 0xff])
}

/** The `depth` block headers before a segment of `len` bytes, outermost first. */
export function segmentHeaders(depth: number, len: number): Buffer {
  const parts: Buffer[] = []
  for (let k = depth - 1; k >= 0; k--) parts.push(blockHeader(len + BLOCK_HEADER * k, false))
  return Buffer.concat(parts)
}

function lits(data: Buffer): Lit[] {
  const out: Lit[] = []
  for (let at = 0; at < data.length; at += SEGMENT) out.push({ kind: 'lit', head: data.subarray(at, at + SEGMENT) })
  return out
}

function tarAtoms(members: readonly Member[], mtime: Date): Atom[] {
  const out: Atom[] = []
  for (const m of members) {
    let content: Atom[]
    if ('bytes' in m) content = lits(m.bytes)
    else if ('blob' in m) content = m.size > 0 ? [{ kind: 'run', blob: m.blob, size: m.size, depth: 0 }] : []
    else content = gzipFrame(tarAtoms(m.members, mtime))
    const size = content.reduce((n, a) => n + atomLength(a), 0)
    out.push(...lits(tarHeader(m.name, size, mtime)), ...content)
    if (tarPadding(size) > 0) out.push({ kind: 'lit', head: Buffer.alloc(tarPadding(size)) })
  }
  out.push({ kind: 'lit', head: TAR_END })
  return out
}

/** `atoms` as one gzip member of stored blocks, one block per atom (per segment for a blob). */
function gzipFrame(atoms: readonly Atom[]): Atom[] {
  const gz: Gz = { atoms }
  const out: Atom[] = [{ kind: 'lit', head: GZIP_HEADER }]
  atoms.forEach((a, i) => {
    if (a.kind === 'run') {
      if (a.depth + 1 > MAX_DEPTH) throw new Error(`tarballs nested deeper than ${MAX_DEPTH} levels`)
      out.push({ ...a, depth: a.depth + 1 })
      return
    }
    const len = atomLength(a)
    if (len > MAX_BLOCK) throw new Error(`tarballs nested deeper than ${MAX_DEPTH} levels`)
    // The last atom of a tar is its end blocks, never a blob: it carries the final-block bit.
    out.push({
      kind: 'lit',
      head: Buffer.concat([blockHeader(len, i === atoms.length - 1), a.head]),
      ...(a.trailer ? { trailer: a.trailer } : {}),
    })
  })
  out.push({ kind: 'lit', head: Buffer.alloc(0), trailer: gz })
  return out
}

/** Where a blob's bytes go: segment k starts at offset + k * stride + headers. */
export interface Placement {
  readonly offset: number
  readonly depth: number
  readonly size: number
}

/** The file offset of byte `at` of a placed blob. */
export function fileOffset(p: Placement, at: number): number {
  const k = Math.floor(at / SEGMENT)
  return p.offset + k * (SEGMENT + BLOCK_HEADER * p.depth) + BLOCK_HEADER * p.depth + (at - k * SEGMENT)
}

/** Per blob, the CRC-32 of each of its segments, in order. */
export type SegmentCrcs = ReadonlyMap<number, ArrayLike<number>>

export class TarGzLayout {
  readonly size: number
  readonly placements = new Map<number, Placement>()
  private readonly lits: Array<{ offset: number; lit: Lit }> = []

  constructor(members: readonly Member[], mtime: Date) {
    let offset = 0
    for (const a of gzipFrame(tarAtoms(members, mtime))) {
      if (a.kind === 'run') {
        if (this.placements.has(a.blob)) throw new Error(`blob ${a.blob} placed twice`)
        this.placements.set(a.blob, { offset, depth: a.depth, size: a.size })
      } else this.lits.push({ offset, lit: a })
      offset += atomLength(a)
    }
    this.size = offset
  }

  /** Everything but the blobs and the gzip trailers: known before any download. */
  *known(): Generator<{ offset: number; bytes: Buffer }> {
    for (const { offset, lit } of this.lits) if (lit.head.length > 0) yield { offset, bytes: lit.head }
    for (const [, p] of this.placements) {
      if (p.depth === 0) continue
      const stride = SEGMENT + BLOCK_HEADER * p.depth
      const n = segments(p.size)
      const full = segmentHeaders(p.depth, SEGMENT)
      for (let k = 0; k < n; k++)
        yield { offset: p.offset + k * stride, bytes: k === n - 1 ? segmentHeaders(p.depth, segmentLength(p.size, k)) : full }
    }
  }

  /** The gzip trailers, once every blob's segment CRCs are known. */
  *trailers(crcs: SegmentCrcs): Generator<{ offset: number; bytes: Buffer }> {
    for (const { offset, lit } of this.lits)
      if (lit.trailer) yield { offset: offset + lit.head.length, bytes: trailerBytes(lit.trailer, crcs) }
  }
}

function trailerBytes(gz: Gz, crcs: SegmentCrcs): Buffer {
  const out = Buffer.alloc(8)
  out.writeUInt32LE(gzCrc(gz, crcs), 0)
  out.writeUInt32LE(gz.atoms.reduce((n, a) => n + atomLength(a), 0) % 2 ** 32, 4)
  return out
}

function gzCrc(gz: Gz, crcs: SegmentCrcs): number {
  if (gz.crc !== undefined) return gz.crc
  let crc = 0
  for (const a of gz.atoms) {
    if (a.kind === 'lit') {
      crc = crc32Combine(crc, crc32(a.head), a.head.length)
      if (a.trailer) crc = crc32Combine(crc, crc32(trailerBytes(a.trailer, crcs)), 8)
      continue
    }
    const segs = crcs.get(a.blob)
    if (!segs || segs.length !== segments(a.size)) throw new Error(`no CRCs for blob ${a.blob}`)
    const headerCrcs = new Map<number, number>()
    for (let k = 0; k < segs.length; k++) {
      const len = segmentLength(a.size, k)
      if (a.depth > 0) {
        let h = headerCrcs.get(len)
        if (h === undefined) {
          h = crc32(segmentHeaders(a.depth, len))
          headerCrcs.set(len, h)
        }
        crc = crc32Combine(crc, h, BLOCK_HEADER * a.depth)
      }
      crc = crc32Combine(crc, segs[k]!, len)
    }
  }
  gz.crc = crc
  return crc
}
