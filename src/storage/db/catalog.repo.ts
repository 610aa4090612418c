// kysely implementation of the catalog's write port (catalog/ports.ts).
import { sql, type Kysely } from 'kysely'
import type { CatalogStore, CatalogWriter, ReleaseSlot } from '../../catalog/ports.js'
import type { DB, Db } from './database.js'
import { ConcurrentChange } from '../../catalog/errors.js'
import { blobLockKey } from './pg-blob-locks.js'

/** unique_violation, serialization_failure, deadlock_detected: another transaction got there first. */
const RACE_CODES = new Set(['23505', '40001', '40P01'])

const json = (v: unknown): string => JSON.stringify(v ?? null)

function slotWhere(packageId: string, s: ReleaseSlot) {
  return {
    package_id: packageId,
    track: s.track,
    risk: s.risk,
    branch: s.branch,
    base_name: s.base.name,
    base_channel: s.base.channel,
    architecture: s.base.architecture,
  }
}

export function catalogWriter(db: Db): CatalogWriter {
  return {
    async findPackage(namespace, name) {
      return db.selectFrom('packages').select(['id', 'type']).where('namespace', '=', namespace).where('name', '=', name).executeTakeFirst()
    },
    async packageIdTaken(id) {
      return (await db.selectFrom('packages').select('id').where('id', '=', id).executeTakeFirst()) !== undefined
    },
    async insertPackage(p) {
      await db
        .insertInto('packages')
        .values({
          id: p.id,
          namespace: p.namespace,
          type: p.type,
          name: p.name,
          publisher: json(p.publisher ?? null),
          summary: p.summary,
          description: p.description,
          title: p.title,
          details: json(p.details),
        })
        .execute()
    },
    async updatePackage(id, p) {
      await db
        .updateTable('packages')
        .set({
          ...(p.publisher ? { publisher: json(p.publisher) } : {}),
          summary: p.summary,
          description: p.description,
          title: p.title,
          details: json(p.details),
          updated_at: sql<Date>`now()`,
        })
        .where('id', '=', id)
        .execute()
    },
    async findRevisionBlob(packageId, revision) {
      const row = await db
        .selectFrom('revisions')
        .select('blob_sha256')
        .where('package_id', '=', packageId)
        .where('revision', '=', revision)
        .executeTakeFirst()
      return row?.blob_sha256
    },
    async findRevisionByBlob(packageId, sha256) {
      const row = await db
        .selectFrom('revisions')
        .select('revision')
        .where('package_id', '=', packageId)
        .where('blob_sha256', '=', sha256)
        .orderBy('revision', 'desc')
        .executeTakeFirst()
      return row?.revision
    },
    async maxRevision(packageId) {
      const row = await db
        .selectFrom('revisions')
        .select((eb) => eb.fn.max('revision').as('m'))
        .where('package_id', '=', packageId)
        .executeTakeFirst()
      return Number(row?.m ?? 0)
    },
    async ensureBlob(b) {
      await db
        .insertInto('blobs')
        .values({ sha256: b.sha256, size: b.size, sha384: b.sha384, sha3_384: b.sha3_384 })
        .onConflict((oc) => oc.column('sha256').doNothing())
        .execute()
    },
    async insertRevision(r) {
      const t = r.texts
      await db
        .insertInto('revisions')
        .values({
          package_id: r.packageId,
          revision: r.revision,
          version: r.version,
          blob_sha256: r.blobSha256,
          platforms: json(r.platforms),
          metadata_yaml: t.metadataYaml ?? null,
          config_yaml: t.configYaml ?? null,
          actions_yaml: t.actionsYaml ?? null,
          manifest_yaml: t.manifestYaml ?? null,
          bundle_yaml: t.bundleYaml ?? null,
          readme_md: t.readmeMd ?? null,
          snap_yaml: t.snapYaml ?? null,
          attributes: json(r.attributes),
          extra: json(r.extra),
        })
        .execute()
    },
    async upsertDeclaredResource(packageId, r) {
      await db
        .insertInto('resources')
        .values({ package_id: packageId, name: r.name, type: r.type, filename: r.filename, description: r.description })
        .onConflict((oc) =>
          oc.columns(['package_id', 'name']).doUpdateSet({ type: r.type, filename: r.filename, description: r.description }),
        )
        .execute()
    },
    async findResourceRevisionBlob(packageId, name, revision) {
      const row = await db
        .selectFrom('resource_revisions')
        .select('blob_sha256')
        .where('package_id', '=', packageId)
        .where('name', '=', name)
        .where('revision', '=', revision)
        .executeTakeFirst()
      return row?.blob_sha256
    },
    async insertResourceRevision(packageId, r) {
      await db
        .insertInto('resource_revisions')
        .values({
          package_id: packageId,
          name: r.name,
          revision: r.revision,
          type: r.type,
          blob_sha256: r.blobSha256,
          image_name: r.imageName ?? null,
        })
        .execute()
    },
    async attachResource(packageId, revision, name, resourceRevision) {
      await db
        .insertInto('revision_resources')
        .values({ package_id: packageId, revision, resource_name: name, resource_revision: resourceRevision })
        .onConflict((oc) => oc.columns(['package_id', 'revision', 'resource_name']).doUpdateSet({ resource_revision: resourceRevision }))
        .execute()
    },
    async getRelease(packageId, slot) {
      const w = slotWhere(packageId, slot)
      const row = await db
        .selectFrom('channel_releases')
        .select('revision')
        .where('package_id', '=', w.package_id)
        .where('track', '=', w.track)
        .where('risk', '=', w.risk)
        .where('branch', '=', w.branch)
        .where('base_name', '=', w.base_name)
        .where('base_channel', '=', w.base_channel)
        .where('architecture', '=', w.architecture)
        .executeTakeFirst()
      return row?.revision
    },
    async setRelease(packageId, slot, revision) {
      const w = slotWhere(packageId, slot)
      await db
        .insertInto('channel_releases')
        .values({ ...w, revision })
        .onConflict((oc) =>
          oc
            .columns(['package_id', 'track', 'risk', 'branch', 'base_name', 'base_channel', 'architecture'])
            .doUpdateSet({ revision, released_at: sql<Date>`now()` }),
        )
        .execute()
      await db
        .insertInto('release_history')
        .values({ ...w, revision })
        .execute()
    },
    async slotClosed(packageId, slot) {
      const w = slotWhere(packageId, slot)
      const row = await db
        .selectFrom('release_history')
        .select('revision')
        .where('package_id', '=', w.package_id)
        .where('track', '=', w.track)
        .where('risk', '=', w.risk)
        .where('branch', '=', w.branch)
        .where('base_name', '=', w.base_name)
        .where('base_channel', '=', w.base_channel)
        .where('architecture', '=', w.architecture)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst()
      return row !== undefined && row.revision === null
    },
    async putAssertion(a) {
      const row = await db
        .selectFrom('assertions')
        .select('revision')
        .where('type', '=', a.type)
        .where('primary_key', '=', a.primaryKey)
        .executeTakeFirst()
      if (row && row.revision >= a.revision) return false
      const values = {
        type: a.type,
        primary_key: a.primaryKey,
        revision: a.revision,
        body: new Uint8Array(a.bytes),
        headers: json(a.headers),
      }
      if (row) await db.updateTable('assertions').set(values).where('type', '=', a.type).where('primary_key', '=', a.primaryKey).execute()
      else await db.insertInto('assertions').values(values).execute()
      return true
    },
    async linkAssertion(packageId, type, primaryKey) {
      const r = await db
        .insertInto('package_assertions')
        .values({ package_id: packageId, assertion_type: type, primary_key: primaryKey })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst()
      return Number(r.numInsertedOrUpdatedRows ?? 0) > 0
    },
    async holdBlobs(sha256s) {
      // Only a deleter (which never waits) can hold these exclusively, so the order cannot deadlock.
      for (const d of new Set(sha256s)) await sql`SELECT pg_advisory_xact_lock_shared(${blobLockKey(d)}::bigint)`.execute(db)
    },
  }
}

export function catalogStore(db: Kysely<DB>): CatalogStore {
  return {
    async transaction(fn) {
      try {
        return await db.transaction().execute((trx) => fn(catalogWriter(trx)))
      } catch (err) {
        const code = (err as { code?: unknown }).code
        if (typeof code === 'string' && RACE_CODES.has(code))
          throw new ConcurrentChange(`another import changed the same packages at the same moment (${(err as Error).message})`)
        throw err
      }
    },
  }
}
