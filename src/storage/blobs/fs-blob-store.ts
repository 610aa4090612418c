// Filesystem blob store. On-disk layout:
//   <data-dir>/blobs/sha256/<first two hex>/<sha256 hex>   immutable, content-addressed
//   <data-dir>/tmp/blob-<random>                          writes in progress (same filesystem, for rename)
import { createHash, randomBytes, type Hash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { Writable } from 'node:stream'
import type { BlobStore, BlobWriter, ByteRange, CommittedBlob } from './blob-store.js'

const SHA256_HEX = /^[0-9a-f]{64}$/

export class FsBlobStore implements BlobStore {
  readonly root: string
  readonly tmp: string

  constructor(dataDir: string) {
    this.root = join(dataDir, 'blobs')
    this.tmp = join(dataDir, 'tmp')
  }

  path(sha256: string): string {
    // The digest is the only input that reaches the filesystem, and it is checked to be hex.
    if (!SHA256_HEX.test(sha256)) throw Object.assign(new Error(`not a sha256 digest: ${sha256}`), { code: 'ENOENT' })
    return join(this.root, 'sha256', sha256.slice(0, 2), sha256)
  }

  async stat(sha256: string): Promise<{ size: number } | undefined> {
    if (!SHA256_HEX.test(sha256)) return undefined
    try { return { size: (await stat(this.path(sha256))).size } } catch { return undefined }
  }

  async open(sha256: string, range?: ByteRange): Promise<{ stream: ReturnType<typeof createReadStream>; size: number }> {
    const p = this.path(sha256)
    const { size } = await stat(p)
    const stream = range ? createReadStream(p, { start: range.start, end: range.end }) : createReadStream(p)
    return { stream, size }
  }

  async create(): Promise<BlobWriter> {
    await mkdir(this.tmp, { recursive: true })
    const tmpPath = join(this.tmp, `blob-${randomBytes(12).toString('hex')}`)
    const fh = await open(tmpPath, 'wx', 0o644)
    return new FsBlobWriter(fh, tmpPath, (sha) => this.path(sha))
  }

  async delete(sha256: string): Promise<void> {
    if (!SHA256_HEX.test(sha256)) return
    await rm(this.path(sha256), { force: true })
  }
}

class FsBlobWriter extends Writable implements BlobWriter {
  private readonly sha256: Hash = createHash('sha256')
  private readonly sha384: Hash = createHash('sha384')
  private readonly sha3: Hash = createHash('sha3-384')
  private written = 0
  private done = false

  constructor(private readonly fh: FileHandle, private readonly tmpPath: string, private readonly finalPath: (sha: string) => string) {
    super({ highWaterMark: 1 << 20 })
  }

  get bytesWritten(): number { return this.written }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.hash(chunk)
    this.fh.write(chunk).then(() => cb(), cb)
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    const bufs = chunks.map((c) => c.chunk)
    for (const b of bufs) this.hash(b)
    this.fh.writev(bufs).then(() => cb(), cb)
  }

  private hash(chunk: Buffer): void {
    this.sha256.update(chunk)
    this.sha384.update(chunk)
    this.sha3.update(chunk)
    this.written += chunk.length
  }

  async commit(expected?: { size?: number; sha256?: string }): Promise<CommittedBlob> {
    if (this.done) throw new Error('blob writer already finished')
    try {
      if (!this.writableFinished) {
        await new Promise<void>((resolve, reject) => {
          this.once('error', reject)
          this.end(() => resolve())
        })
      }
      await this.fh.sync()
      await this.fh.close()
      const info = {
        sha256: this.sha256.digest('hex'),
        sha384: this.sha384.digest('hex'),
        sha3_384: this.sha3.digest('hex'),
        size: this.written,
      }
      if (expected?.size !== undefined && expected.size !== info.size) {
        throw new Error(`size mismatch: expected ${expected.size} bytes, got ${info.size}`)
      }
      if (expected?.sha256 !== undefined && expected.sha256 !== info.sha256) {
        throw new Error(`sha256 mismatch: expected ${expected.sha256}, got ${info.sha256}`)
      }
      const dest = this.finalPath(info.sha256)
      const existing = await stat(dest).catch(() => undefined)
      if (existing && existing.size === info.size) {
        await rm(this.tmpPath, { force: true })
        this.done = true
        return { ...info, created: false }
      }
      await mkdir(dirname(dest), { recursive: true })
      await rename(this.tmpPath, dest)
      this.done = true
      return { ...info, created: true }
    } catch (err) {
      await this.cancel()
      throw err
    }
  }

  async cancel(): Promise<void> {
    if (this.done) return
    this.done = true
    if (!this.destroyed) this.destroy()
    await this.fh.close().catch(() => {})
    await rm(this.tmpPath, { force: true })
  }
}
