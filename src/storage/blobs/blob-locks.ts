// Who may delete a blob, and when (docs/decisions/0009-blob-reference-protocol.md). An import holds
// a SHARED lock on each blob it writes or reuses from before the blob becomes visible until its
// transaction has ended; a deleter takes an EXCLUSIVE try-lock, re-checks that no row references
// the blob, deletes, and unlocks. The pg implementation (storage/db/pg-blob-locks.ts) works across
// replicas; this in-process table serves the embedded database, which one process owns.

export interface BlobLockSession {
  /** Waits while a deleter holds the digest. Taking a digest twice holds it once. */
  shared(sha256: string): Promise<void>
  /** True when acquired: no other session holds the digest in any mode. Never waits. */
  tryExclusive(sha256: string): Promise<boolean>
  /** Gives up this session's hold on the digest (either mode); a no-op when not held. */
  unlock(sha256: string): Promise<void>
  /** Unlocks everything and ends the session. Idempotent. */
  close(): Promise<void>
}

export interface BlobLocks {
  session(): Promise<BlobLockSession>
}

interface Entry {
  shared: number
  exclusive: boolean
  waiters: Array<() => void>
}

export class InProcessBlobLocks implements BlobLocks {
  private readonly table = new Map<string, Entry>()

  async session(): Promise<BlobLockSession> {
    const table = this.table
    const held = new Map<string, 'shared' | 'exclusive'>()
    const entry = (d: string): Entry => {
      let e = table.get(d)
      if (!e) {
        e = { shared: 0, exclusive: false, waiters: [] }
        table.set(d, e)
      }
      return e
    }
    const unlock = async (d: string): Promise<void> => {
      const mode = held.get(d)
      if (!mode) return
      held.delete(d)
      const e = table.get(d)!
      if (mode === 'shared') e.shared--
      else e.exclusive = false
      const wake = e.waiters.splice(0)
      if (e.shared === 0 && !e.exclusive && wake.length === 0) table.delete(d)
      for (const w of wake) w()
    }
    return {
      async shared(d) {
        if (held.has(d)) return
        for (;;) {
          const e = entry(d)
          if (!e.exclusive) {
            e.shared++
            held.set(d, 'shared')
            return
          }
          await new Promise<void>((resolve) => e.waiters.push(resolve))
        }
      },
      async tryExclusive(d) {
        if (held.get(d) === 'exclusive') return true
        const e = entry(d)
        const ownShare = held.get(d) === 'shared' ? 1 : 0
        if (e.exclusive || e.shared - ownShare > 0) {
          if (e.shared === 0 && !e.exclusive && e.waiters.length === 0) table.delete(d)
          return false
        }
        if (ownShare) {
          e.shared--
          held.delete(d)
        }
        e.exclusive = true
        held.set(d, 'exclusive')
        return true
      },
      unlock,
      async close() {
        for (const d of [...held.keys()]) await unlock(d)
      },
    }
  }
}
