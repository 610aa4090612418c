// What garbage collection asks the catalog about blobs: which rows reference them, which `blobs`
// rows nothing references, and deleting such a row. A blob is referenced by a revision or a
// resource revision (migrations/0001_catalog.sql).
import { sql, type Kysely } from 'kysely'
import type { DB } from './database.js'

export interface BlobRefs {
  isReferenced(sha256: string): Promise<boolean>
  /** Deletes the `blobs` row unless something references it; true when a row went. */
  deleteUnreferencedRow(sha256: string): Promise<boolean>
  /** `blobs` rows nothing references. */
  unreferencedRows(): Promise<Array<{ sha256: string; size: number }>>
  /** Which of these digests have a `blobs` row. */
  withRows(digests: readonly string[]): Promise<Set<string>>
}

export function blobRefs(db: Kysely<DB>): BlobRefs {
  return {
    async isReferenced(d) {
      const r = await sql<{ used: boolean }>`SELECT EXISTS (SELECT 1 FROM revisions WHERE blob_sha256 = ${d})
        OR EXISTS (SELECT 1 FROM resource_revisions WHERE blob_sha256 = ${d}) AS used`.execute(db)
      return r.rows[0]?.used === true
    },
    async deleteUnreferencedRow(d) {
      const r = await sql`DELETE FROM blobs b WHERE b.sha256 = ${d}
        AND NOT EXISTS (SELECT 1 FROM revisions WHERE blob_sha256 = b.sha256)
        AND NOT EXISTS (SELECT 1 FROM resource_revisions WHERE blob_sha256 = b.sha256)`.execute(db)
      return Number(r.numAffectedRows ?? 0) > 0
    },
    async unreferencedRows() {
      const r = await sql<{ sha256: string; size: number }>`SELECT b.sha256, b.size FROM blobs b
        WHERE NOT EXISTS (SELECT 1 FROM revisions WHERE blob_sha256 = b.sha256)
        AND NOT EXISTS (SELECT 1 FROM resource_revisions WHERE blob_sha256 = b.sha256)`.execute(db)
      return r.rows.map((x) => ({ sha256: x.sha256, size: Number(x.size) }))
    },
    async withRows(digests) {
      if (digests.length === 0) return new Set()
      const rows = await db
        .selectFrom('blobs')
        .select('sha256')
        .where('sha256', 'in', [...digests])
        .execute()
      return new Set(rows.map((r) => r.sha256))
    },
  }
}
