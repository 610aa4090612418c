// One export tarball written in place: its layout is computed up front (stored-tar-gz.ts), the known
// bytes (tar headers, block headers, small members) are written first, each download goes straight to
// its blob's place, and the gzip trailers close the file once every blob is in. Every byte of a blob
// is written once; no staged copy, no second pass.
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs'
import type { DownloadTarget } from './download.js'
import { blobHasher } from './following-hasher.js'
import { fileOffset, SEGMENT, TarGzLayout, type Member } from './stored-tar-gz.js'

export type { Member }

export class ExportFile {
  private readonly crcs = new Map<number, Uint32Array>()
  private open = true

  private constructor(
    readonly path: string,
    private readonly fd: number,
    readonly layout: TarGzLayout,
  ) {}

  /** Creates `path` (which must not exist) at its final size, all but the blobs and trailers written. */
  static create(path: string, members: readonly Member[], mtime: Date): ExportFile {
    const layout = new TarGzLayout(members, mtime)
    const fd = openSync(path, 'wx')
    const file = new ExportFile(path, fd, layout)
    try {
      ftruncateSync(fd, layout.size)
      for (const { offset, bytes } of layout.known()) file.put(bytes, 0, bytes.length, offset)
    } catch (err) {
      file.close()
      throw err
    }
    // Empty blobs have no segment and need no download.
    for (const [blob, p] of layout.placements) if (p.size === 0) file.crcs.set(blob, new Uint32Array(0))
    return file
  }

  private put(buf: Buffer, from: number, len: number, at: number): void {
    for (let done = 0; done < len;) done += writeSync(this.fd, buf, from + done, len - done, at + done)
  }

  /** Where the download of `blob` goes, hashed with `algorithms` on a hash thread. */
  target(blob: number, algorithms: readonly string[]): DownloadTarget {
    const place = this.layout.placements.get(blob)
    if (!place) throw new Error(`blob ${blob} is not in ${this.path}`)
    const hasher = blobHasher(this.path, place, algorithms)
    return {
      write: (chunk, at) => {
        // A chunk may span segment boundaries, where the block headers sit.
        for (let from = 0; from < chunk.length;) {
          const pos = at + from
          const len = Math.min(chunk.length - from, SEGMENT - (pos % SEGMENT))
          this.put(chunk, from, len, fileOffset(place, pos))
          from += len
        }
        hasher.written(at + chunk.length, chunk)
      },
      restart: () => hasher.restart(),
      finish: async (size) => {
        const { digests, crcs } = await hasher.end(size)
        this.crcs.set(blob, crcs)
        return digests
      },
      close: () => hasher.close(),
    }
  }

  /** Writes the gzip trailers; every blob must have been downloaded and verified. */
  finish(): void {
    for (const { offset, bytes } of this.layout.trailers(this.crcs)) this.put(bytes, 0, bytes.length, offset)
    this.close()
  }

  close(): void {
    if (!this.open) return
    this.open = false
    closeSync(this.fd)
  }
}
