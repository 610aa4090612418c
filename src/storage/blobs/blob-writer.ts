// The blob writer over a storage driver: bytes stream to a fresh temporary key while the hashes are
// computed in the same pass; commit() verifies them and moves the object to its content address.
//
// Incoming chunks are copied once, into slabs of shared memory from a pool; each full slab goes to
// the driver (as one chunk of the object-mode body it is reading) and to the hash thread(s) at the
// same time, and returns to the pool once both have released it (the driver through put's
// `release`). A writer has at most SLABS_IN_FLIGHT slabs out: when all are, it waits for one to
// come back, so its memory is bounded by that count whatever the blob's size.
import { randomBytes } from 'node:crypto'
import { PassThrough, Writable } from 'node:stream'
import type { BlobWriter, CommittedBlob } from './blob-store.js'
import type { StorageDriver } from './driver.js'
import { HashSession } from './hashing.js'
import { SharedSlab, SlabPool, type Slab } from './slab-pool.js'
import { crashPoint } from '../../crash-points.js'

/** Bytes per driver chunk and per message to the hash threads. */
const SLAB_BYTES = 256 << 10
/** Slabs a writer may have with the hash threads or the driver at once. */
const SLABS_IN_FLIGHT = 16
/** Shared by every writer: released slabs kept for the next one. */
const slabs = new SlabPool(SLAB_BYTES, 16)

export const TEMP_PREFIX = 'tmp/blob-'

export function newTempKey(): string {
  return `${TEMP_PREFIX}${randomBytes(12).toString('hex')}`
}

export class DriverBlobWriter extends Writable implements BlobWriter {
  private readonly hasher = new HashSession()
  private readonly body = new PassThrough({ objectMode: true, highWaterMark: SLABS_IN_FLIGHT })
  private readonly stored: Promise<void>
  private storeError: Error | undefined
  /** Slabs sent and not yet released by both the hashes and the driver. */
  private inFlight = 0
  /** The slab behind each chunk the driver has not released yet. */
  private readonly withDriver = new Map<Buffer, SharedSlab>()
  /** The one wait in progress (for a slab to come back). */
  private waiter: (() => void) | undefined
  private current: Slab | undefined
  private fill = 0
  private written = 0
  private done = false

  constructor(
    private readonly driver: StorageDriver,
    private readonly tempKey: string,
    private readonly finalKey: (sha256: string) => string,
  ) {
    super({ highWaterMark: 1 << 20 })
    this.stored = driver.put(tempKey, this.body, {
      release: (chunk) => {
        const s = this.withDriver.get(chunk)
        this.withDriver.delete(chunk)
        s?.release('driver')
      },
    })
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
        this.current = slabs.take()
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

  /** Sends the current slab to the driver and to the hashes, first waiting while too many are out. */
  private async flush(): Promise<void> {
    const s = this.current
    const len = this.fill
    this.current = undefined
    this.fill = 0
    if (!s) return
    if (len === 0) {
      slabs.give(s)
      return
    }
    while (this.inFlight >= SLABS_IN_FLIGHT && !this.storeError)
      await new Promise<void>((resolve) => {
        this.waiter = resolve
      })
    if (this.storeError) throw this.storeError
    this.inFlight++
    const shared = new SharedSlab(s, ['hash', 'driver'], slabs, () => {
      this.inFlight--
      this.wake()
    })
    const chunk = s.bytes.subarray(0, len)
    this.withDriver.set(chunk, shared)
    this.hasher.update(s.sab, s.bytes, len, () => shared.release('hash'))
    // No wait for 'drain': the body holds at most the slabs in flight.
    this.body.write(chunk)
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
    // Chunks the driver never took (left in the destroyed body) are no longer its to release.
    for (const s of this.withDriver.values()) s.release('driver')
    this.withDriver.clear()
    await this.driver.delete(this.tempKey)
  }
}
