// The change log migration 0002 keeps (catalog_changes, filled by triggers): where a reader stands
// in it, what changed since, and pruning. A reader's position is its last snapshot: what changed
// since is every change row whose transaction that snapshot did not see. Sequence numbers would not
// do: they are handed out before commit, so a lower one can commit after a higher one was read.
import { sql, type Kysely } from 'kysely'
import type { ChangeCursor } from '../../catalog/ports.js'
import type { DB, Db } from './database.js'

/** Change rows are kept this long (ms); replicas that last loaded longer ago than half of it reload everything. */
export const DEFAULT_CHANGE_WINDOW_MS = 60 * 60 * 1000

/** The current transaction's snapshot and the database clock; call first in a REPEATABLE READ transaction. */
export async function snapshotCursor(trx: Db): Promise<ChangeCursor> {
  const r = await sql<{ snapshot: string; at: number }>`SELECT pg_current_snapshot()::text AS snapshot,
    (extract(epoch FROM now()) * 1000)::float8 AS at`.execute(trx)
  const row = r.rows[0]!
  return { token: row.snapshot, at: Number(row.at) }
}

/** Ids of packages written by transactions the cursor's snapshot did not see, and the current one does. */
export async function changedSince(trx: Db, since: ChangeCursor): Promise<string[]> {
  const r = await sql<{ package_id: string }>`SELECT DISTINCT package_id FROM catalog_changes
    WHERE xid >= pg_snapshot_xmin(${since.token}::pg_snapshot) AND NOT pg_visible_in_snapshot(xid, ${since.token}::pg_snapshot)`.execute(
    trx,
  )
  return r.rows.map((x) => x.package_id)
}

/** Deletes change rows older than the window; returns how many went. */
export async function pruneChanges(db: Kysely<DB>, windowMs: number): Promise<number> {
  const r = await sql`DELETE FROM catalog_changes WHERE changed_at < now() - make_interval(secs => ${windowMs / 1000})`.execute(db)
  return Number(r.numAffectedRows ?? 0)
}
