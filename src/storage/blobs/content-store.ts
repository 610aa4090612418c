// The content-addressed blob store over any storage driver. Keys:
//   blobs/sha256/<first two hex>/<sha256 hex>   immutable, content-addressed
//   tmp/blob-<random>                           writes in progress (swept by age)
// With the filesystem driver rooted at the data dir these are the paths earlier releases wrote, so
// existing data dirs need no migration. The driver never sees a digest it has to trust: every one
// is checked to be hex before it becomes a key.
import { randomBytes } from 'node:crypto'
import { mkdir, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BlobFile, BlobStore, BlobWriter, LocalFile } from './blob-store.js'
import type { StorageDriver } from './driver.js'
import { DriverBlobWriter, TEMP_PREFIX, newTempKey } from './blob-writer.js'
import { OpenFiles } from './open-files.js'

const SHA256_HEX = /^[0-9a-f]{64}$/
const BLOB_KEY = /^blobs\/sha256\/([0-9a-f]{2})\/([0-9a-f]{64})$/

export const BLOB_PREFIX = 'blobs/sha256/'

export function blobKey(sha256: string): string {
  if (!SHA256_HEX.test(sha256)) throw Object.assign(new Error(`not a sha256 digest: ${sha256.slice(0, 100)}`), { code: 'ENOENT' })
  return `${BLOB_PREFIX}${sha256.slice(0, 2)}/${sha256}`
}

export interface ContentStoreOptions {
  /** Where localFile() copies a blob when the driver has no local file of it (in the data dir). */
  readonly scratchDir?: string
  /** Up to this many blobs' readers stay open when no download holds them. */
  readonly idleReaders?: number
  /** Downloads redirect to a URL from the driver valid this long (S3 `redirect: on`); unset: no redirects. */
  readonly redirectSeconds?: number
}

/** A driver that can name the local file holding a key (the filesystem driver). */
interface LocalDriver extends StorageDriver {
  localPath(key: string): string
}
const isLocal = (d: StorageDriver): d is LocalDriver => typeof (d as Partial<LocalDriver>).localPath === 'function'

export function createBlobStore(driver: StorageDriver, opts: ContentStoreOptions = {}): BlobStore {
  const readers = new OpenFiles(opts.idleReaders ?? 64)

  return {
    verifiesReads: !isLocal(driver),
    async stat(sha256: string): Promise<{ size: number } | undefined> {
      if (!SHA256_HEX.test(sha256)) return undefined
      const o = await driver.stat(blobKey(sha256))
      return o && { size: o.size }
    },

    async open(sha256) {
      return { stream: await driver.get(blobKey(sha256)) }
    },

    async openFile(sha256: string): Promise<BlobFile> {
      const key = blobKey(sha256)
      return readers.acquire(sha256, () => driver.reader(key))
    },

    closeIdle: () => readers.closeIdle(),

    async redirectURL(sha256: string): Promise<string | undefined> {
      if (!opts.redirectSeconds || !driver.redirectURL) return undefined
      return driver.redirectURL(blobKey(sha256), opts.redirectSeconds)
    },

    async localFile(sha256: string): Promise<LocalFile> {
      const key = blobKey(sha256)
      if (isLocal(driver)) {
        if (!(await driver.stat(key))) throw Object.assign(new Error(`blob ${sha256} is absent`), { code: 'ENOENT' })
        return { path: driver.localPath(key), release: async () => {} }
      }
      const dir = opts.scratchDir ?? tmpdir()
      await mkdir(dir, { recursive: true })
      const path = join(dir, `blob-local-${randomBytes(12).toString('hex')}`)
      const release = () => rm(path, { force: true })
      try {
        const fh = await open(path, 'wx', 0o600)
        try {
          let at = 0
          for await (const chunk of (await driver.get(key)) as AsyncIterable<Buffer>) {
            for (let o = 0; o < chunk.length;) o += (await fh.write(chunk, o, chunk.length - o, at + o)).bytesWritten
            at += chunk.length
          }
        } finally {
          await fh.close()
        }
      } catch (err) {
        await release()
        throw err
      }
      return { path, release }
    },

    async create(): Promise<BlobWriter> {
      return new DriverBlobWriter(driver, newTempKey(), blobKey)
    },

    async delete(sha256: string): Promise<void> {
      if (!SHA256_HEX.test(sha256)) return
      await readers.forget(sha256)
      await driver.delete(blobKey(sha256))
    },

    async *list(): AsyncIterable<{ sha256: string; size: number }> {
      for await (const o of driver.list(BLOB_PREFIX)) {
        const m = BLOB_KEY.exec(o.key)
        const [, dir, sha256] = m ?? []
        if (dir && sha256?.startsWith(dir)) yield { sha256, size: o.size }
      }
    },

    async sweepTemp(olderThanMs: number, dryRun = false): Promise<{ files: number; bytes: number }> {
      const out = { files: 0, bytes: 0 }
      const now = Date.now()
      for await (const o of driver.list(TEMP_PREFIX)) {
        if (now - o.modified.getTime() < olderThanMs) continue
        if (!dryRun) await driver.delete(o.key)
        out.files++
        out.bytes += o.size
      }
      return out
    },
  }
}
