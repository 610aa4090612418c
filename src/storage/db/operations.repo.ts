// kysely implementation of the operations port (catalog/operations-ports.ts): release pointers,
// closes, removals. Release rows go through catalog.repo's setRelease, so imports and releases
// write the history alike.
import { sql, type Kysely } from 'kysely'
import type { Base } from '../../catalog/base.js'
import type { Risk } from '../../catalog/channel.js'
import type { PackageType } from '../../catalog/model.js'
import type { OperationsStore, OperationsWriter } from '../../catalog/operations-ports.js'
import { catalogWriter } from './catalog.repo.js'
import { auditWriter } from './audit.repo.js'
import type { DB, Db } from './database.js'

const iso = (d: Date | string): string => (d instanceof Date ? d : new Date(d)).toISOString()

export function operationsWriter(db: Db): OperationsWriter {
  const catalog = catalogWriter(db)
  return {
    ...auditWriter(db),
    async packagesNamed(name) {
      return db.selectFrom('packages').select(['id', 'type', 'name']).where('name', '=', name).orderBy('namespace').execute()
    },
    async revisions(packageId) {
      const rows = await db
        .selectFrom('revisions')
        .select(['revision', 'platforms'])
        .where('package_id', '=', packageId)
        .orderBy('revision')
        .execute()
      return rows.map((r) => ({ revision: r.revision, platforms: r.platforms as unknown as Base[] }))
    },
    async releases(packageId) {
      const rows = await db.selectFrom('channel_releases').selectAll().where('package_id', '=', packageId).execute()
      return rows.map((r) => ({
        channel: { track: r.track, risk: r.risk as Risk, branch: r.branch },
        base: { name: r.base_name, channel: r.base_channel, architecture: r.architecture },
        revision: r.revision,
      }))
    },
    async channelEverUsed(packageId, c) {
      const row = await db
        .selectFrom('release_history')
        .select('id')
        .where('package_id', '=', packageId)
        .where('track', '=', c.track)
        .where('risk', '=', c.risk)
        .where('branch', '=', c.branch)
        .limit(1)
        .executeTakeFirst()
      return row !== undefined
    },
    setRelease: (packageId, slot, revision) => catalog.setRelease(packageId, slot, revision),
    async closeSlot(packageId, s) {
      const w = {
        package_id: packageId,
        track: s.track,
        risk: s.risk,
        branch: s.branch,
        base_name: s.base.name,
        base_channel: s.base.channel,
        architecture: s.base.architecture,
      }
      await db
        .deleteFrom('channel_releases')
        .where('package_id', '=', packageId)
        .where('track', '=', w.track)
        .where('risk', '=', w.risk)
        .where('branch', '=', w.branch)
        .where('base_name', '=', w.base_name)
        .where('base_channel', '=', w.base_channel)
        .where('architecture', '=', w.architecture)
        .execute()
      await db
        .insertInto('release_history')
        .values({ ...w, revision: null })
        .execute()
    },
    async deleteRevisions(packageId, revisions) {
      if (revisions.length === 0) return
      // channel_releases and revision_resources go with the revision (ON DELETE CASCADE).
      await db
        .deleteFrom('revisions')
        .where('package_id', '=', packageId)
        .where('revision', 'in', [...revisions])
        .execute()
      await db
        .deleteFrom('resource_revisions')
        .where('package_id', '=', packageId)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('revision_resources')
                .select('revision')
                .whereRef('revision_resources.package_id', '=', 'resource_revisions.package_id')
                .whereRef('revision_resources.resource_name', '=', 'resource_revisions.name')
                .whereRef('revision_resources.resource_revision', '=', 'resource_revisions.revision'),
            ),
          ),
        )
        .execute()
    },
    async deletePackage(packageId) {
      // resource_revisions reference resources, which cascade from packages; revision_resources
      // reference resource_revisions without a cascade, so revisions go first.
      await db.deleteFrom('revisions').where('package_id', '=', packageId).execute()
      await db.deleteFrom('packages').where('id', '=', packageId).execute()
    },
    async bundlesNaming(charmId) {
      const rows = await db
        .selectFrom('revisions')
        .innerJoin('packages', 'packages.id', 'revisions.package_id')
        .select('packages.name')
        .distinct()
        .where('packages.type', '=', 'bundle')
        .where(sql<boolean>`revisions.extra -> 'contains-charms' @> ${JSON.stringify([{ id: charmId }])}::jsonb`)
        .orderBy('packages.name')
        .execute()
      return rows.map((r) => r.name)
    },
    async touchPackage(packageId) {
      await db
        .updateTable('packages')
        .set({ updated_at: sql<Date>`now()` })
        .where('id', '=', packageId)
        .execute()
    },
    async removedAt(type, name, revision) {
      let q = db.selectFrom('audit_log').select(['at', 'package_type']).where('action', '=', 'remove').where('package_name', '=', name)
      if (type) q = q.where('package_type', '=', type)
      q =
        revision === undefined
          ? q.where(sql<boolean>`detail @> '{"packageRemoved": true}'::jsonb`)
          : q.where(sql<boolean>`revisions @> ${JSON.stringify([revision])}::jsonb`)
      const row = await q.orderBy('id', 'desc').limit(1).executeTakeFirst()
      return row ? { at: iso(row.at), type: row.package_type as PackageType } : undefined
    },
  }
}

export function operationsStore(db: Kysely<DB>): OperationsStore {
  return { transaction: (fn) => db.transaction().execute((trx) => fn(operationsWriter(trx))) }
}
