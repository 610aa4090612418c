// One export tarball written in place: its layout is computed up front (stored-tar-gz.ts), the known
// bytes (tar headers, block headers, small members) are written first, each download goes straight to
// its blob's place (placed-target.ts, in a download thread), and the gzip trailers close the file once
// every blob is in. Every byte of a blob
// is written once; no staged copy, no second pass.
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs'
import { TarGzLayout, type Member, type Placement } from './stored-tar-gz.js'

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

  /** Where `blob`'s bytes go in the file. */
  placement(blob: number): Placement {
    const place = this.layout.placements.get(blob)
    if (!place) throw new Error(`blob ${blob} is not in ${this.path}`)
    return place
  }

  /** The segment CRCs of a blob, downloaded and verified. */
  blobDone(blob: number, crcs: Uint32Array): void {
    this.crcs.set(blob, crcs)
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
