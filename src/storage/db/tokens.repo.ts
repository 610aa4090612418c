// Admin token records (migrations/0003). The JWTs themselves are never stored.
import { sql, type Kysely, type Selectable } from 'kysely'
import type { TokenRecord, TokenStore, TokenWriter } from '../../catalog/operations-ports.js'
import { auditWriter } from './audit.repo.js'
import type { AdminTokensTable, DB, Db } from './database.js'

const iso = (d: Date | string | null): string | null => (d === null ? null : (d instanceof Date ? d : new Date(d)).toISOString())

const record = (r: Selectable<AdminTokensTable>): TokenRecord => ({
  id: r.id,
  name: r.name,
  createdAt: iso(r.created_at)!,
  expiresAt: iso(r.expires_at),
  lastUsedAt: iso(r.last_used_at),
  revokedAt: iso(r.revoked_at),
})

async function get(db: Db, id: string): Promise<TokenRecord | undefined> {
  const r = await db.selectFrom('admin_tokens').selectAll().where('id', '=', id).executeTakeFirst()
  return r && record(r)
}

async function insert(db: Db, t: { id: string; name: string; createdAt: Date; expiresAt: Date | null }): Promise<boolean> {
  const r = await db
    .insertInto('admin_tokens')
    .values({ id: t.id, name: t.name, created_at: t.createdAt, expires_at: t.expiresAt })
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst()
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0
}

function tokenWriter(db: Db): TokenWriter {
  return {
    ...auditWriter(db),
    get: (id) => get(db, id),
    insert: (t) => insert(db, t),
    async revoke(id) {
      await db
        .updateTable('admin_tokens')
        .set({ revoked_at: sql<Date>`now()` })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .execute()
    },
  }
}

export function tokenStore(db: Kysely<DB>): TokenStore {
  return {
    transaction: (fn) => db.transaction().execute((trx) => fn(tokenWriter(trx))),
    get: (id) => get(db, id),
    async register(t) {
      await insert(db, t)
    },
    async touch(id) {
      await db
        .updateTable('admin_tokens')
        .set({ last_used_at: sql<Date>`now()` })
        .where('id', '=', id)
        .execute()
    },
    async list() {
      return (await db.selectFrom('admin_tokens').selectAll().orderBy('created_at').orderBy('id').execute()).map(record)
    },
  }
}
