// The blob writer over a storage driver: bytes stream to a fresh temporary key while the hashes are
// computed in the same pass; commit() verifies them and moves the object to its content address.
//
// Incoming chunks are copied once, into 256 KiB slabs of shared memory; each full slab goes to the
// driver (as one chunk of the body it is reading) and to the hash thread(s) at the same time. A
// slab is never reused, since only the driver knows when it is done with its bytes: the writer's
// memory is bounded instead by counting slabs still being hashed (SLABS_IN_HASHING) and by the
// body's backpressure (BODY_HIGH_WATER), each slab then left to the garbage collector.
import { randomBytes } from 'node:crypto'
import { PassThrough, Writable } from 'node:stream'
import type { BlobWriter, CommittedBlob } from './blob-store.js'
import type { StorageDriver } from './driver.js'
import { HashSession } from './hashing.js'
import { crashPoint } from '../../crash-points.js'

/** Bytes per driver chunk and per message to the hash threads. */
const SLAB_BYTES = 256 << 10
/** Slabs a writer may have in the hash threads at once. */
const SLABS_IN_HASHING = 16
/** Bytes the driver's body may buffer before the writer waits. */
const BODY_HIGH_WATER = 4 * SLAB_BYTES

export const TEMP_PREFIX = 'tmp/blob-'

export function newTempKey(): string {
  return `${TEMP_PREFIX}${randomBytes(12).toString('hex')}`
}

export class DriverBlobWriter extends Writable implements BlobWriter {
  private readonly hasher = new HashSession()
  private readonly body = new PassThrough({ highWaterMark: BODY_HIGH_WATER })
  private readonly stored: Promise<void>
  private storeError: Error | undefined
  private hashing = 0
  /** The one wait in progress (for a slab's hashes or for the body to drain). */
  private waiter: (() => void) | undefined
  private current: { sab: SharedArrayBuffer; bytes: Buffer } | undefined
  private fill = 0
  private written = 0
  private done = false

  constructor(
    private readonly driver: StorageDriver,
    private readonly tempKey: string,
    private readonly finalKey: (sha256: string) => string,
  ) {
    super({ highWaterMark: 1 << 20 })
    this.stored = driver.put(tempKey, this.body)
    // Recorded now so writes fail fast (and no rejection goes unhandled); commit() awaits it again.
    this.stored.catch((err: Error) => {
      this.storeError ??= err
      this.wake()
    })
  }

  get bytesWritten(): number {
    return this.written
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.take(chunk).then(() => cb(), cb)
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    ;(async () => {
      for (const c of chunks) await this.take(c.chunk)
    })().then(() => cb(), cb)
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.flush().then(() => {
      this.body.end()
      cb()
    }, cb)
  }

  private async take(chunk: Buffer): Promise<void> {
    if (this.storeError) throw this.storeError
    crashPoint('blob-write')
    this.written += chunk.length
    let off = 0
    while (off < chunk.length) {
      if (!this.current) {
        const sab = new SharedArrayBuffer(SLAB_BYTES)
        this.current = { sab, bytes: Buffer.from(sab) }
        this.fill = 0
      }
      const n = chunk.copy(this.current.bytes, this.fill, off)
      this.fill += n
      off += n
      if (this.fill === SLAB_BYTES) await this.flush()
    }
  }

  private wake(): void {
    const w = this.waiter
    this.waiter = undefined
    w?.()
  }

  /** Sends the current slab to the driver and to the hashes, waiting while either is full. */
  private async flush(): Promise<void> {
    const s = this.current
    const len = this.fill
    this.current = undefined
    this.fill = 0
    if (!s || len === 0) return
    while (this.hashing >= SLABS_IN_HASHING && !this.storeError)
      await new Promise<void>((resolve) => {
        this.waiter = resolve
      })
    if (this.storeError) throw this.storeError
    this.hashing++
    this.hasher.update(s.sab, s.bytes, len, () => {
      this.hashing--
      this.wake()
    })
    if (!this.body.write(s.bytes.subarray(0, len)) && !this.storeError) {
      await new Promise<void>((resolve) => {
        const go = () => {
          this.body.off('drain', go)
          this.body.off('close', go)
          this.waiter = undefined
          resolve()
        }
        this.body.on('drain', go)
        this.body.on('close', go)
        // A driver that fails without destroying the body never drains it: its failure wakes us.
        this.waiter = go
      })
    }
    if (this.storeError) throw this.storeError
  }

  async commit(expected?: { size?: number; sha256?: string }, beforeVisible?: (sha256: string) => Promise<void>): Promise<CommittedBlob> {
    if (this.done) throw new Error('blob writer already finished')
    try {
      if (!this.writableFinished) {
        await new Promise<void>((resolve, reject) => {
          this.once('error', reject)
          this.end(() => resolve())
        })
      }
      await this.stored
      const digests = await this.hasher.digest()
      const info = { sha256: digests.sha256, sha384: digests.sha384, sha3_384: digests['sha3-384'], size: this.written }
      if (expected?.size !== undefined && expected.size !== info.size) {
        throw new Error(`size mismatch: expected ${expected.size} bytes, got ${info.size}`)
      }
      if (expected?.sha256 !== undefined && expected.sha256 !== info.sha256) {
        throw new Error(`sha256 mismatch: expected ${expected.sha256}, got ${info.sha256}`)
      }
      crashPoint('blob-hashed')
      await beforeVisible?.(info.sha256)
      const dest = this.finalKey(info.sha256)
      const existing = await this.driver.stat(dest)
      if (existing && existing.size === info.size) {
        await this.driver.delete(this.tempKey)
        this.done = true
        return { ...info, created: false }
      }
      crashPoint('blob-before-rename')
      await this.driver.move(this.tempKey, dest)
      crashPoint('blob-after-rename')
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
    this.hasher.drop()
    this.storeError ??= new Error('blob write cancelled')
    this.wake()
    if (!this.destroyed) this.destroy()
    // Without an error: the driver's put sees a premature end and rejects; no 'error' event is left unheard.
    if (!this.body.destroyed) this.body.destroy()
    await this.stored.catch(() => {})
    await this.driver.delete(this.tempKey)
  }
}
