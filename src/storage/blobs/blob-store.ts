// The blob store contract. Blobs are addressed by their sha256; every other hash is computed in the
// same pass at write time, so nothing is ever re-read to hash it.
import type { Readable, Writable } from 'node:stream'
import type { Digests } from '../../catalog/model.js'

export interface CommittedBlob extends Digests {
  /** False when identical content was already stored; the caller must not delete it on rollback. */
  readonly created: boolean
}

export interface BlobWriter extends Writable {
  /** Bytes accepted so far. */
  readonly bytesWritten: number
  /**
   * Flushes and fsyncs, checks `expected`, then makes the blob visible under its sha256. Rejects (and
   * discards the temp file) on a mismatch; nothing is visible unless it resolves. `beforeVisible`
   * runs once the digest is known and before the store looks for an identical blob or makes this
   * one visible (the blob lock protocol, blob-locks.ts); a rejection from it discards the temp file.
   */
  commit(expected?: { size?: number; sha256?: string }, beforeVisible?: (sha256: string) => Promise<void>): Promise<CommittedBlob>
  /** Discards the temp file. Idempotent, safe after commit: call it in finally. */
  cancel(): Promise<void>
}

export interface BlobFile {
  /** Reads up to `length` bytes at `position` into the start of `into`; resolves with the count read. */
  read(into: Buffer, position: number, length: number): Promise<number>
  close(): Promise<void>
}

/** A local file holding a blob's bytes, for tools that read only files (unsquashfs). */
export interface LocalFile {
  readonly path: string
  /** Removes the file when it was a copy made for the caller. Idempotent. */
  release(): Promise<void>
}

export interface BlobStore {
  /** undefined when absent; never throws for that. */
  stat(sha256: string): Promise<{ size: number } | undefined>
  /** The whole blob as a stream (downloads read through openFile). Rejects with code ENOENT when absent. */
  open(sha256: string): Promise<{ stream: Readable }>
  /**
   * Positional reads into the caller's buffers (downloads reuse theirs). Rejects with code ENOENT
   * when absent. Files may stay open after close() for the next download, until closeIdle().
   */
  openFile(sha256: string): Promise<BlobFile>
  /** Closes the files openFile keeps open that no one holds (at shutdown). */
  closeIdle(): Promise<void>
  /**
   * True when whole-blob reads should be checked against the digest (the bytes come from a store
   * outside Airlock's data dir, an object store, where they may be changed behind its back).
   */
  readonly verifiesReads?: boolean
  /**
   * A short-lived URL the client can fetch the blob from directly (an S3 presigned GET), when the
   * store is configured to redirect downloads; undefined otherwise.
   */
  redirectURL?(sha256: string): Promise<string | undefined>
  /**
   * The blob as a local file: the stored file itself when the driver keeps one (filesystem), else a
   * copy in the data dir that release() removes. Rejects with code ENOENT when absent.
   */
  localFile(sha256: string): Promise<LocalFile>
  create(): Promise<BlobWriter>
  /** Idempotent. */
  delete(sha256: string): Promise<void>
  /** Every visible blob, in no particular order (garbage collection). */
  list(): AsyncIterable<{ sha256: string; size: number }>
  /**
   * Removes temp files of writes in progress last modified more than `olderThanMs` ago (0: all), or
   * only counts them when `dryRun`. Never touches visible blobs.
   */
  sweepTemp(olderThanMs: number, dryRun?: boolean): Promise<{ files: number; bytes: number }>
}
