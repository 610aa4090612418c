// Whole-store operations over storage drivers: re-hashing every blob (`airlock blobs verify`) and
// copying every blob from one driver to another (`airlock blobs migrate`). Both work on driver keys
// only, so they need neither the database nor a running server, and any pair of drivers works.
//
// A copy is trusted only once its bytes have been read back from the destination and hashed: the
// digest in the key is the only truth. The source is never written to. A copy lands under a
// temporary key and is moved to its content address once complete, so an interrupted migration
// leaves nothing under a blob's key that a re-run would wrongly skip.
import { createHash, randomBytes } from 'node:crypto'
import { Transform, type Readable } from 'node:stream'
import type { DriverObject, StorageDriver } from './driver.js'

const BLOBS = 'blobs/sha256/'
const MIGRATE_TMP = 'tmp/migrate-'
const SHA256_HEX = /^[0-9a-f]{64}$/
/** Blobs hashed or copied at once: enough to hide an object store's latency, few enough to stay light. */
const PARALLEL = 4

/** The key of the blob with this sha256 (the layout both drivers share). */
export function blobKey(sha256: string): string {
  return `${BLOBS}${sha256.slice(0, 2)}/${sha256}`
}

/** The sha256 a blob key names, or undefined for any other key. */
export function digestOfKey(key: string): string | undefined {
  const m = /^blobs\/sha256\/([0-9a-f]{2})\/([0-9a-f]{64})$/.exec(key)
  return m && m[2]!.startsWith(m[1]!) ? m[2] : undefined
}

export async function sha256Of(body: Readable): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of body) h.update(chunk as Buffer)
  return h.digest('hex')
}

export interface BlobProblem {
  readonly sha256: string
  readonly problem: string
}

export interface VerifyReport {
  readonly blobs: number
  readonly bytes: number
  readonly problems: BlobProblem[]
}

/** Re-hashes every blob in `driver`; each one whose bytes do not match its name is a problem. */
export async function verifyBlobs(driver: StorageDriver, onBlob: (done: number) => void = () => {}): Promise<VerifyReport> {
  let blobs = 0
  let bytes = 0
  const problems: BlobProblem[] = []
  await forEachBlob(driver, async (o, sha256) => {
    const actual = await sha256Of(await driver.get(o.key))
    if (actual !== sha256) problems.push({ sha256, problem: `its bytes hash to ${actual}` })
    blobs++
    bytes += o.size
    onBlob(blobs)
  })
  return { blobs, bytes, problems }
}

export interface MigrateReport {
  readonly copied: number
  readonly copiedBytes: number
  /** Already at the destination with the right digest (an earlier, interrupted run). */
  readonly present: number
  readonly problems: BlobProblem[]
}

/**
 * Copies every blob from `from` to `to`, verifying each at the destination. Resumable: a blob
 * already at the destination with the right bytes is skipped; one with wrong bytes is replaced.
 */
export async function migrateBlobs(
  from: StorageDriver,
  to: StorageDriver,
  onBlob: (done: number) => void = () => {},
): Promise<MigrateReport> {
  // Temporary copies an interrupted run left behind; no one else writes under this prefix.
  for await (const o of to.list(MIGRATE_TMP)) await to.delete(o.key)
  let copied = 0
  let copiedBytes = 0
  let present = 0
  let done = 0
  const problems: BlobProblem[] = []
  await forEachBlob(from, async (o, sha256) => {
    const there = await to.stat(o.key)
    if (there && there.size === o.size && (await sha256Of(await to.get(o.key))) === sha256) {
      present++
    } else {
      const problem = await copyOne(from, to, o.key, sha256)
      if (problem) problems.push({ sha256, problem })
      else {
        copied++
        copiedBytes += o.size
      }
    }
    onBlob(++done)
  })
  return { copied, copiedBytes, present, problems }
}

/** One blob across; undefined on success, else what went wrong (nothing left under its key). */
async function copyOne(from: StorageDriver, to: StorageDriver, key: string, sha256: string): Promise<string | undefined> {
  const tmp = `${MIGRATE_TMP}${randomBytes(12).toString('hex')}`
  const h = createHash('sha256')
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk)
      cb(null, chunk)
    },
  })
  const source = await from.get(key)
  source.on('error', (err) => hashing.destroy(err))
  try {
    await to.put(tmp, source.pipe(hashing))
    const sent = h.digest('hex')
    if (sent !== sha256) return `the source's bytes hash to ${sent}; not copied (run airlock blobs verify on the source)`
    await to.move(tmp, key)
  } finally {
    await to.delete(tmp).catch(() => undefined)
  }
  const landed = await sha256Of(await to.get(key))
  if (landed === sha256) return undefined
  await to.delete(key)
  return `the copy at the destination hashes to ${landed}; removed it`
}

/** Runs `fn` on every blob of `driver`, PARALLEL at a time; other keys are ignored. */
async function forEachBlob(driver: StorageDriver, fn: (o: DriverObject, sha256: string) => Promise<void>): Promise<void> {
  const running = new Set<Promise<void>>()
  let failure: unknown
  for await (const o of driver.list(BLOBS)) {
    const sha256 = digestOfKey(o.key)
    if (!sha256 || !SHA256_HEX.test(sha256)) continue
    const p: Promise<void> = fn(o, sha256)
      .catch((err: unknown) => {
        failure ??= err
      })
      .finally(() => running.delete(p))
    running.add(p)
    if (running.size >= PARALLEL) await Promise.race(running)
    if (failure) break
  }
  await Promise.all(running)
  if (failure) throw failure
}
