// A download target that writes a blob into its place in an export tarball (stored-tar-gz.ts), around
// the block headers already there, and hashes it as it goes: the digests the store gave, and the
// CRC-32 of each segment, which the gzip trailers are computed from. Runs in a download thread.
import { createHash, type Hash } from 'node:crypto'
import { closeSync, openSync, writeSync } from 'node:fs'
import { crc32 } from './crc32.js'
import type { DownloadTarget } from './download.js'
import { fileOffset, SEGMENT, segments, type Placement } from './stored-tar-gz.js'

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
  let open = true
  return {
    write(chunk, at) {
      // A chunk may span segment boundaries, where the block headers sit.
      for (let from = 0; from < chunk.length;) {
        const pos = at + from
        const k = Math.floor(pos / SEGMENT)
        const len = Math.min(chunk.length - from, SEGMENT - (pos - k * SEGMENT))
        const piece = chunk.subarray(from, from + len)
        for (let done = 0; done < len;) done += writeSync(fd, piece, done, len - done, fileOffset(place, pos) + done)
        crcs[k] = crc32(piece, crcs[k])
        from += len
      }
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
