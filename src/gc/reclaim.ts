// Deleting one blob under the lock protocol (storage/blobs/blob-locks.ts): the only way Airlock
// deletes a blob, whether for a refused import, garbage collection or the start-up sweep.
import type { BlobLockSession } from '../storage/blobs/blob-locks.js'
import type { BlobStore } from '../storage/blobs/blob-store.js'
import type { BlobRefs } from '../storage/db/blob-refs.repo.js'
import { crashPoint } from '../crash-points.js'

export type ReclaimOutcome = { readonly freed: number } | 'held' | 'referenced'

/**
 * Deletes the blob and its `blobs` row when no one holds its lock and no row references it.
 * 'held': an import is writing or about to reference it (a later gc retries). The check comes
 * after the lock, so it sees every import that held the blob and has since committed.
 */
export async function reclaim(
  sha256: string,
  deps: { session: BlobLockSession; refs: BlobRefs; blobs: BlobStore },
): Promise<ReclaimOutcome> {
  if (!(await deps.session.tryExclusive(sha256))) return 'held'
  try {
    if (await deps.refs.isReferenced(sha256)) return 'referenced'
    const size = (await deps.blobs.stat(sha256))?.size ?? 0
    // The row first: a crash between the two leaves a file without a row, which the next sweep finds.
    await deps.refs.deleteUnreferencedRow(sha256)
    crashPoint('reclaim-row-deleted')
    await deps.blobs.delete(sha256)
    return { freed: size }
  } finally {
    await deps.session.unlock(sha256)
  }
}
