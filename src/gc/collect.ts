// Garbage collection: blobs nothing references (`blobs` rows without a revision or resource
// revision, and files in the blob tree without a row) and stale temp files of writes that never
// finished. Every deletion goes through reclaim(), so a blob an import is writing or about to
// reference on any replica is skipped, not deleted.
import type { Logger } from 'pino'
import type { BlobLocks } from '../storage/blobs/blob-locks.js'
import type { BlobStore } from '../storage/blobs/blob-store.js'
import type { BlobRefs } from '../storage/db/blob-refs.repo.js'
import { reclaim } from './reclaim.js'

export interface GcReport {
  readonly dryRun: boolean
  /** Unreferenced blobs deleted (or, dry run, that would be). */
  readonly blobs: number
  readonly bytes: number
  readonly tempFiles: number
  readonly tempBytes: number
  /** Unreferenced blobs left because an import held them; a later run takes them. */
  readonly skipped: number
}

export interface GcDeps {
  readonly blobs: BlobStore
  readonly refs: BlobRefs
  readonly locks: BlobLocks
  readonly log: Logger
}

const BATCH = 500

/** Digests with no referencing row: unreferenced rows, then files that have no row at all. */
async function* candidates(deps: GcDeps): AsyncIterable<string> {
  for (const r of await deps.refs.unreferencedRows()) yield r.sha256
  let batch: string[] = []
  const flush = async function* () {
    const rows = await deps.refs.withRows(batch)
    for (const d of batch) if (!rows.has(d)) yield d
    batch = []
  }
  for await (const b of deps.blobs.list()) {
    batch.push(b.sha256)
    if (batch.length >= BATCH) yield* flush()
  }
  yield* flush()
}

export async function collectGarbage(deps: GcDeps, opts: { dryRun?: boolean; tempOlderThanMs: number }): Promise<GcReport> {
  const dryRun = opts.dryRun ?? false
  let blobs = 0
  let bytes = 0
  let skipped = 0
  const session = await deps.locks.session()
  try {
    const seen = new Set<string>()
    for await (const d of candidates(deps)) {
      if (seen.has(d)) continue
      seen.add(d)
      if (dryRun) {
        if (await deps.refs.isReferenced(d)) continue
        blobs++
        bytes += (await deps.blobs.stat(d))?.size ?? 0
        continue
      }
      const out = await reclaim(d, { session, refs: deps.refs, blobs: deps.blobs })
      if (out === 'held') skipped++
      else if (out !== 'referenced') {
        blobs++
        bytes += out.freed
      }
    }
  } finally {
    await session.close()
  }
  const temp = await deps.blobs.sweepTemp(opts.tempOlderThanMs, dryRun)
  const report: GcReport = { dryRun, blobs, bytes, tempFiles: temp.files, tempBytes: temp.bytes, skipped }
  deps.log.info({ module: 'gc', ...report }, dryRun ? 'gc dry run' : 'gc done')
  return report
}
