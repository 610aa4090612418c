// Blob locks as PostgreSQL session-level advisory locks, so replicas sharing one database exclude
// each other (the protocol: storage/blobs/blob-locks.ts). Session locks belong to a connection, so
// each session holds one pooled connection until it closes. Were that connection lost, the server
// would drop its locks; the import's transaction therefore takes the same locks again at
// transaction level and checks its blobs exist before it commits (import/import-service.ts).
import type pg from 'pg'
import type { BlobLocks, BlobLockSession } from '../blobs/blob-locks.js'

/** The advisory lock key of a digest: its first 64 bits, signed. A collision only makes a deleter skip. */
export function blobLockKey(sha256: string): string {
  return BigInt.asIntN(64, BigInt(`0x${sha256.slice(0, 16)}`)).toString()
}

export class PgBlobLocks implements BlobLocks {
  constructor(private readonly pool: pg.Pool) {}

  async session(): Promise<BlobLockSession> {
    const client = await this.pool.connect()
    let broken: Error | undefined
    const onError = (err: Error) => {
      broken ??= err
    }
    client.on('error', onError)
    const held = new Map<string, 'shared' | 'exclusive'>()
    let closed = false
    const q = async (text: string, d: string): Promise<boolean> => {
      if (broken) throw broken
      const r = await client.query<{ ok: boolean | null }>(`SELECT ${text}($1::bigint) AS ok`, [blobLockKey(d)])
      return r.rows[0]?.ok !== false
    }
    const unlock = async (d: string): Promise<void> => {
      const mode = held.get(d)
      if (!mode) return
      held.delete(d)
      // Each call releases one hold of the given mode; a session takes a digest at most once.
      await q(mode === 'shared' ? 'pg_advisory_unlock_shared' : 'pg_advisory_unlock', d).catch(() => undefined)
    }
    return {
      async shared(d) {
        if (held.has(d)) return
        await q('pg_advisory_lock_shared', d)
        held.set(d, 'shared')
      },
      async tryExclusive(d) {
        const mode = held.get(d)
        if (mode === 'exclusive') return true
        if (mode === 'shared') {
          held.delete(d)
          await q('pg_advisory_unlock_shared', d)
        }
        const ok = await q('pg_try_advisory_lock', d)
        if (ok) held.set(d, 'exclusive')
        return ok
      },
      unlock,
      async close() {
        if (closed) return
        closed = true
        held.clear()
        let bad = broken
        if (!bad)
          await client.query('SELECT pg_advisory_unlock_all()').catch((err: Error) => {
            bad = err
          })
        client.off('error', onError)
        // A connection whose locks we cannot vouch for is destroyed, which drops them server-side.
        client.release(bad)
      },
    }
  }
}
