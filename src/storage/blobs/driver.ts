// The storage driver: where blob bytes live, and nothing else. It knows keys, not digests: hashing,
// verification and the content-addressed layout sit above it (as CNCF distribution separates its
// storage drivers from the blob writer). A filesystem and an S3-compatible object store both
// implement it, and the blob-store conformance suite runs against each.
//
// Keys are relative, '/'-separated, made only of [0-9a-z._-] segments (the layer above builds them
// from hex digests and random ids); a driver refuses any other key, so no key reaches outside its root.
import type { Readable } from 'node:stream'

export interface DriverObject {
  readonly key: string
  readonly size: number
  /** Last modification, for sweeping stale temporary objects. */
  readonly modified: Date
}

/** Random access to one stored object (zip reading, ranged downloads). */
export interface RandomAccessReader {
  readonly size: number
  /** Reads up to `length` bytes at `position` into the start of `into`; resolves with the count read. */
  read(into: Buffer, position: number, length: number): Promise<number>
  close(): Promise<void>
}

/** How a driver hands back the memory of the chunks it was given (see StorageDriver.put). */
export interface PutOptions {
  /**
   * Called once for every chunk the driver took from the body, with that very Buffer, as soon as the
   * driver no longer needs its bytes: the caller may then overwrite them (the blob writer reuses its
   * slabs). Also called for a chunk in hand when the put fails; never twice for one chunk.
   */
  readonly release?: (chunk: Buffer) => void
}

export interface StorageDriver {
  /** A short name for logs and errors: 'fs' or 's3'. */
  readonly kind: string
  /**
   * Stores `body` under `key`, replacing nothing: callers write only fresh temporary keys. Resolves
   * once the bytes are durable; on rejection nothing is left under `key` that a later list() would
   * count as complete (a partial temporary object may remain for sweeping). `body` yields Buffers
   * (an object-mode stream of chunks, or a byte stream); see PutOptions.release.
   */
  put(key: string, body: Readable, opts?: PutOptions): Promise<void>
  /**
   * Makes the object at `from` appear under `to` in one step (rename; server-side copy then delete)
   * and removes `from`. Never exposes a partial object under `to`.
   */
  move(from: string, to: string): Promise<void>
  /** The bytes of `key`, or of the inclusive range [start, end]. Rejects with code ENOENT when absent. */
  get(key: string, range?: { start: number; end: number }): Promise<Readable>
  /** Random reads; rejects with code ENOENT when absent. */
  reader(key: string): Promise<RandomAccessReader>
  /** undefined when absent; never throws for that. */
  stat(key: string): Promise<DriverObject | undefined>
  /** Idempotent. */
  delete(key: string): Promise<void>
  /** Every object whose key starts with `prefix`, in no particular order. */
  list(prefix: string): AsyncIterable<DriverObject>
  /** A URL a client can fetch `key` from directly for `expiresInSeconds`, when the driver offers one (S3 presigning). */
  redirectURL?(key: string, expiresInSeconds: number): Promise<string | undefined>
  /** Checks that the store is reachable and writable at start (one clear error otherwise). */
  check(): Promise<void>
  /** Releases connections and cached descriptors. */
  close(): Promise<void>
}
