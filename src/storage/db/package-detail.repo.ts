// `airlock list KIND NAME`: one package's revisions, with the channels that point at each now
// and those that did before (from the release history).
import type { Kysely } from 'kysely'
import type { PackageDetail, PackageDetailReader } from '../../catalog/operations-ports.js'
import type { Base } from '../../catalog/base.js'
import type { DB } from './database.js'

const iso = (d: Date | string): string => (d instanceof Date ? d : new Date(d)).toISOString()
const channelOf = (r: { track: string; risk: string; branch: string }): string =>
  [r.track, r.risk, ...(r.branch ? [r.branch] : [])].join('/')
const slotKey = (r: {
  track: string
  risk: string
  branch: string
  base_name: string
  base_channel: string
  architecture: string
}): string => [r.track, r.risk, r.branch, r.base_name, r.base_channel, r.architecture].join('\0')

async function packageDetail(db: Kysely<DB>, type: 'charm' | 'bundle' | 'snap', name: string): Promise<PackageDetail | undefined> {
  const p = await db.selectFrom('packages').selectAll().where('type', '=', type).where('name', '=', name).executeTakeFirst()
  if (!p) return undefined
  const [revs, current, history, attached] = await Promise.all([
    db
      .selectFrom('revisions')
      .innerJoin('blobs', 'blobs.sha256', 'revisions.blob_sha256')
      .select(['revision', 'version', 'platforms', 'revisions.created_at', 'blobs.size', 'blobs.sha256'])
      .where('package_id', '=', p.id)
      .orderBy('revision')
      .execute(),
    db.selectFrom('channel_releases').selectAll().where('package_id', '=', p.id).execute(),
    db.selectFrom('release_history').selectAll().where('package_id', '=', p.id).where('revision', 'is not', null).orderBy('id').execute(),
    db.selectFrom('revision_resources').selectAll().where('package_id', '=', p.id).orderBy('resource_name').execute(),
  ])
  const now = new Map(current.map((r) => [slotKey(r), r]))
  const risks = ['stable', 'candidate', 'beta', 'edge']
  const order = (a: { channel: string }, b: { channel: string }) => {
    const [ta, ra] = a.channel.split('/')
    const [tb, rb] = b.channel.split('/')
    return ta!.localeCompare(tb!) || risks.indexOf(ra!) - risks.indexOf(rb!) || a.channel.localeCompare(b.channel)
  }
  return {
    id: p.id,
    type: p.type,
    name: p.name,
    summary: p.summary,
    revisions: revs.map((r) => {
      const formerly = new Map<string, { channel: string; base: Base; releasedAt: string }>()
      for (const h of history) {
        if (h.revision !== r.revision || now.get(slotKey(h))?.revision === r.revision) continue
        formerly.set(slotKey(h), {
          channel: channelOf(h),
          base: { name: h.base_name, channel: h.base_channel, architecture: h.architecture },
          releasedAt: iso(h.released_at),
        })
      }
      return {
        revision: r.revision,
        version: r.version,
        size: Number(r.size),
        sha256: r.sha256,
        bases: r.platforms as unknown as Base[],
        createdAt: iso(r.created_at),
        resources: attached.filter((a) => a.revision === r.revision).map((a) => ({ name: a.resource_name, revision: a.resource_revision })),
        channels: current
          .filter((c) => c.revision === r.revision)
          .map((c) => ({
            channel: channelOf(c),
            base: { name: c.base_name, channel: c.base_channel, architecture: c.architecture },
            releasedAt: iso(c.released_at),
          }))
          .sort(order),
        formerly: [...formerly.values()].sort(order),
      }
    }),
  }
}

export function packageDetailReader(db: Kysely<DB>): PackageDetailReader {
  return { detail: (type, name) => packageDetail(db, type, name) }
}
