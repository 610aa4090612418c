// Blob files kept open between downloads. Blobs are immutable and content-addressed, so a descriptor
// stays right for as long as it is held (and a deleted blob's file lives on until it is closed).
// A download then costs no open and no close, each a thread-pool round trip: with 1 MiB Range
// requests that was a measurable part of each request (bench/snapstore).
import { open, type FileHandle } from 'node:fs/promises'
import type { BlobFile } from './blob-store.js'

interface Slot { readonly handle: Promise<FileHandle>; refs: number }

export class OpenFiles {
  /** Open files by key, least recently acquired first. */
  private readonly slots = new Map<string, Slot>()
  private idle = 0

  constructor(private readonly maxIdle: number) {}

  /** `path` opened for reading, shared with other holders of `key`; close() releases it. */
  async acquire(key: string, path: string): Promise<BlobFile> {
    let slot = this.slots.get(key)
    if (slot) {
      this.slots.delete(key)
      this.slots.set(key, slot)
      if (slot.refs++ === 0) this.idle--
    } else {
      const s: Slot = { handle: open(path, 'r'), refs: 1 }
      slot = s
      this.slots.set(key, s)
      s.handle.catch(() => { if (this.slots.get(key) === s) this.slots.delete(key) })
    }
    let fh: FileHandle
    try { fh = await slot.handle } catch (err) { slot.refs--; throw err }
    let released = false
    const held = slot
    return {
      read: async (into, position, length) => (await fh.read(into, 0, length, position)).bytesRead,
      close: async () => {
        if (released) return
        released = true
        if (--held.refs > 0) return
        // Forgotten (the blob was deleted) while held: the last holder closes it.
        if (this.slots.get(key) !== held) { await fh.close(); return }
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
