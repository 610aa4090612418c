// Read model for `airlock list`: packages with their revisions, channels and resources.
import type { Kysely } from 'kysely'
import type { ListedPackage } from '../../catalog/operations-ports.js'
import type { Base } from '../../catalog/base.js'
import type { PublisherInfo } from '../../catalog/model.js'
import type { DB } from './database.js'

const iso = (d: Date | string): string => (d instanceof Date ? d.toISOString() : new Date(d).toISOString())

export async function listPackages(db: Kysely<DB>, type: 'charm' | 'bundle' | 'snap'): Promise<ListedPackage[]> {
  const pkgs = await db.selectFrom('packages').selectAll().where('type', '=', type).orderBy('name').execute()
  if (pkgs.length === 0) return []
  const ids = pkgs.map((p) => p.id)
  const [revs, chans, attached, resources, resRevs] = await Promise.all([
    db
      .selectFrom('revisions')
      .innerJoin('blobs', 'blobs.sha256', 'revisions.blob_sha256')
      .select(['package_id', 'revision', 'version', 'platforms', 'revisions.created_at', 'blobs.size', 'blobs.sha256'])
      .where('package_id', 'in', ids)
      .orderBy('revision')
      .execute(),
    db
      .selectFrom('channel_releases')
      .selectAll()
      .where('package_id', 'in', ids)
      .orderBy('track')
      .orderBy('risk')
      .orderBy('branch')
      .orderBy('base_name')
      .orderBy('base_channel')
      .orderBy('architecture')
      .execute(),
    db
      .selectFrom('revision_resources')
      .innerJoin('resources', (j) =>
        j
          .onRef('resources.package_id', '=', 'revision_resources.package_id')
          .onRef('resources.name', '=', 'revision_resources.resource_name'),
      )
      .select(['revision_resources.package_id', 'revision', 'resource_name', 'resource_revision', 'resources.type'])
      .where('revision_resources.package_id', 'in', ids)
      .orderBy('resource_name')
      .execute(),
    db.selectFrom('resources').selectAll().where('package_id', 'in', ids).orderBy('name').execute(),
    db
      .selectFrom('resource_revisions')
      .select(['package_id', 'name', 'revision'])
      .where('package_id', 'in', ids)
      .orderBy('revision')
      .execute(),
  ])
  const risks = ['stable', 'candidate', 'beta', 'edge']
  return pkgs.map((p) => ({
    id: p.id,
    type: p.type,
    name: p.name,
    publisher: p.publisher as unknown as PublisherInfo | null,
    summary: p.summary,
    createdAt: iso(p.created_at),
    updatedAt: iso(p.updated_at),
    revisions: revs
      .filter((r) => r.package_id === p.id)
      .map((r) => ({
        revision: r.revision,
        version: r.version,
        size: Number(r.size),
        sha256: r.sha256,
        bases: r.platforms as unknown as Base[],
        createdAt: iso(r.created_at),
        resources: attached
          .filter((a) => a.package_id === p.id && a.revision === r.revision)
          .map((a) => ({ name: a.resource_name, type: a.type, revision: a.resource_revision })),
      })),
    channels: chans
      .filter((c) => c.package_id === p.id)
      .sort((a, b) => a.track.localeCompare(b.track) || risks.indexOf(a.risk) - risks.indexOf(b.risk))
      .map((c) => ({
        channel: [c.track, c.risk, ...(c.branch ? [c.branch] : [])].join('/'),
        base: { name: c.base_name, channel: c.base_channel, architecture: c.architecture },
        revision: c.revision,
        releasedAt: iso(c.released_at),
      })),
    resources: resources
      .filter((r) => r.package_id === p.id)
      .map((r) => ({
        name: r.name,
        type: r.type,
        revisions: resRevs.filter((x) => x.package_id === p.id && x.name === r.name).map((x) => x.revision),
      })),
  }))
}
