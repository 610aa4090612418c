// The audit trail (migrations/0003): appended inside the transaction of the change it records.
import type { Kysely } from 'kysely'
import type { AuditReader, AuditRecord, AuditWriter } from '../../catalog/operations-ports.js'
import type { PackageType } from '../../catalog/model.js'
import type { DB, Db } from './database.js'

const iso = (d: Date | string): string => (d instanceof Date ? d : new Date(d)).toISOString()

export function auditWriter(db: Db): AuditWriter {
  return {
    async record(actor, e) {
      await db
        .insertInto('audit_log')
        .values({
          token_id: actor.tokenId,
          token_name: actor.tokenName,
          action: e.action,
          package_type: e.packageType ?? null,
          package_name: e.packageName ?? null,
          package_id: e.packageId ?? null,
          revisions: JSON.stringify(e.revisions ?? []),
          channels: JSON.stringify(e.channels ?? []),
          detail: JSON.stringify(e.detail ?? {}),
        })
        .execute()
    },
  }
}

export function auditReader(db: Kysely<DB>): AuditReader {
  return {
    async since(since, limit) {
      const rows = await db.selectFrom('audit_log').selectAll().where('at', '>=', since).orderBy('id').limit(limit).execute()
      return rows.map((r): AuditRecord => ({
        id: Number(r.id),
        at: iso(r.at),
        tokenId: r.token_id,
        tokenName: r.token_name,
        action: r.action,
        packageType: (r.package_type ?? undefined) as PackageType | undefined,
        packageName: r.package_name ?? undefined,
        packageId: r.package_id ?? undefined,
        revisions: r.revisions,
        channels: r.channels,
        detail: r.detail,
      }))
    },
  }
}
