// Blob readers kept open between downloads, a wrapper around the driver's readers. Blobs are
// immutable and content-addressed, so a reader stays right for as long as it is held (and a deleted
// blob's file lives on until it is closed). A download then costs no open and no close, each a
// thread-pool round trip: with 1 MiB Range requests that was a measurable part of each request
// (bench/snapstore).
import type { BlobFile } from './blob-store.js'
import type { RandomAccessReader } from './driver.js'

interface Slot {
  readonly handle: Promise<RandomAccessReader>
  refs: number
}

export class OpenFiles {
  /** Open files by key, least recently acquired first. */
  private readonly slots = new Map<string, Slot>()
  private idle = 0

  constructor(private readonly maxIdle: number) {}

  /** `key`'s reader (opened with `open` if none is cached), shared with its other holders; close() releases it. */
  async acquire(key: string, open: () => Promise<RandomAccessReader>): Promise<BlobFile> {
    let slot = this.slots.get(key)
    if (slot) {
      this.slots.delete(key)
      this.slots.set(key, slot)
      if (slot.refs++ === 0) this.idle--
    } else {
      const s: Slot = { handle: open(), refs: 1 }
      slot = s
      this.slots.set(key, s)
      s.handle.catch(() => {
        if (this.slots.get(key) === s) this.slots.delete(key)
      })
    }
    let fh: RandomAccessReader
    try {
      fh = await slot.handle
    } catch (err) {
      slot.refs--
      throw err
    }
    let released = false
    const held = slot
    return {
      read: (into, position, length) => fh.read(into, position, length),
      close: async () => {
        if (released) return
        released = true
        if (--held.refs > 0) return
        // Forgotten (the blob was deleted) while held: the last holder closes it.
        if (this.slots.get(key) !== held) {
          await fh.close()
          return
        }
        this.idle++
        await this.trim()
      },
    }
  }

  /** Stops sharing `key`'s file: closed now if no one holds it, else when its last holder is done. */
  async forget(key: string): Promise<void> {
    const slot = this.slots.get(key)
    if (!slot) return
    this.slots.delete(key)
    if (slot.refs === 0) {
      this.idle--
      await (await slot.handle).close()
    }
  }

  /** Closes every file no one holds. */
  async closeIdle(): Promise<void> {
    for (const [key, slot] of this.slots) if (slot.refs === 0) await this.forget(key)
  }

  private async trim(): Promise<void> {
    for (const [key, slot] of this.slots) {
      if (this.idle <= this.maxIdle) return
      if (slot.refs === 0) await this.forget(key)
    }
  }
}
