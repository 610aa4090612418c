// Counts for `airlock status`: a handful of aggregate queries, no table scans beyond count(*).
import { sql, type Kysely } from 'kysely'
import type { StatusReader } from '../../catalog/operations-ports.js'
import type { DB } from './database.js'

export function statusReader(db: Kysely<DB>): StatusReader {
  return {
    async counts() {
      const r = await sql<{ charm: number; bundle: number; snap: number; revisions: number; blobs: number; bytes: number }>`SELECT
        (SELECT count(*) FROM packages WHERE type = 'charm')::int AS charm,
        (SELECT count(*) FROM packages WHERE type = 'bundle')::int AS bundle,
        (SELECT count(*) FROM packages WHERE type = 'snap')::int AS snap,
        (SELECT count(*) FROM revisions)::int AS revisions,
        (SELECT count(*) FROM blobs)::int AS blobs,
        (SELECT coalesce(sum(size), 0) FROM blobs)::bigint AS bytes`.execute(db)
      const c = r.rows[0]!
      return {
        packages: { charm: Number(c.charm), bundle: Number(c.bundle), snap: Number(c.snap) },
        revisions: Number(c.revisions),
        blobs: Number(c.blobs),
        bytes: Number(c.bytes),
      }
    },
  }
}
