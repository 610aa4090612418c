// The blob store as one import sees it: every blob it writes is locked SHARED before it becomes
// visible, or before an identical stored blob is reused (the protocol: storage/blobs/blob-locks.ts),
// and stays locked until the import's session closes, after its transaction has ended.
import type { BlobLockSession } from '../storage/blobs/blob-locks.js'
import type { BlobStore, BlobWriter } from '../storage/blobs/blob-store.js'

export function holdingBlobStore(inner: BlobStore, session: BlobLockSession, held: Set<string>): BlobStore {
  return {
    stat: (d) => inner.stat(d),
    open: (d) => inner.open(d),
    openFile: (d) => inner.openFile(d),
    closeIdle: () => inner.closeIdle(),
    localFile: (d) => inner.localFile(d),
    delete: (d) => inner.delete(d),
    list: () => inner.list(),
    sweepTemp: (ms, dry) => inner.sweepTemp(ms, dry),
    async create(): Promise<BlobWriter> {
      const writer = await inner.create()
      const commit = writer.commit.bind(writer)
      writer.commit = (expected, beforeVisible) =>
        commit(expected, async (d) => {
          await session.shared(d)
          held.add(d)
          await beforeVisible?.(d)
        })
      return writer
    },
  }
}
