// A download target that writes a blob into its place in an export tarball (stored-tar-gz.ts), around
// the block headers already there, and hashes it as it goes: the digests the store gave, and the
// CRC-32 of each segment, which the gzip trailers are computed from. Runs in a download thread.
import { createHash, type Hash } from 'node:crypto'
import { closeSync, openSync, writevSync } from 'node:fs'
import { crc32 } from './crc32.js'
import type { DownloadTarget } from './download.js'
import { fileOffset, SEGMENT, segmentHeaders, segmentLength, segments, type Placement } from './stored-tar-gz.js'

export interface PlacedTarget extends DownloadTarget {
  /** Per segment, the CRC-32 of the bytes written so far. */
  crcs(): Uint32Array
}

/** `path` must already exist at its full size (ExportFile.create). */
export function placedTarget(path: string, place: Placement, algorithms: readonly string[]): PlacedTarget {
  const fd = openSync(path, 'r+')
  let hashes: Array<[string, Hash]> = []
  let crcs = new Uint32Array(0)
  const restart = () => {
    hashes = algorithms.map((a) => [a, createHash(a)])
    crcs = new Uint32Array(segments(place.size))
  }
  restart()
  const full = segmentHeaders(place.depth, SEGMENT)
  const last = segmentHeaders(place.depth, segmentLength(place.size, segments(place.size) - 1))
  const headers = (k: number) => (k === segments(place.size) - 1 ? last : full)
  let open = true
  return {
    write(chunk, at) {
      // A chunk may span segment boundaries, where the block headers sit: they are written again
      // (the same bytes) between the pieces, so the whole chunk goes in one writev.
      const pieces: Buffer[] = []
      for (let from = 0; from < chunk.length;) {
        const pos = at + from
        const k = Math.floor(pos / SEGMENT)
        const len = Math.min(chunk.length - from, SEGMENT - (pos - k * SEGMENT))
        const piece = chunk.subarray(from, from + len)
        if (pieces.length > 0) pieces.push(headers(k))
        pieces.push(piece)
        crcs[k] = crc32(piece, crcs[k])
        from += len
      }
      writeAll(fd, pieces, fileOffset(place, at))
      for (const [, h] of hashes) h.update(chunk)
    },
    restart,
    finish() {
      return Promise.resolve(Object.fromEntries(hashes.map(([a, h]) => [a, h.digest('hex')])))
    },
    crcs: () => crcs,
    close() {
      if (open) {
        open = false
        closeSync(fd)
      }
      return Promise.resolve()
    },
  }
}

/** writev until every byte of `pieces` is at `at` onwards (writev may write less than asked). */
function writeAll(fd: number, pieces: Buffer[], at: number): void {
  let total = pieces.reduce((n, p) => n + p.length, 0)
  while (total > 0) {
    let n = writevSync(fd, pieces, at)
    at += n
    total -= n
    while (n > 0 && pieces.length > 0) {
      if (n >= pieces[0]!.length) n -= pieces.shift()!.length
      else {
        pieces[0] = pieces[0]!.subarray(n)
        n = 0
      }
    }
  }
}
