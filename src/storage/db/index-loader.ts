// Loads the catalog's read model (catalog/index.ts) from the database: all of it, or the packages
// changed since the reader's last load, in one snapshot (catalog-changes.ts).
import { sql, type Kysely } from 'kysely'
import type { Base } from '../../catalog/base.js'
import type { Channel, Risk } from '../../catalog/channel.js'
import type { IndexedPackage, IndexedResource, IndexedResourceRevision, IndexedRevision } from '../../catalog/index.js'
import type { CatalogReader } from '../../catalog/ports.js'
import type { Digests, PublisherInfo } from '../../catalog/model.js'
import type { DB, Db } from './database.js'
import { changedSince, pruneChanges, snapshotCursor, DEFAULT_CHANGE_WINDOW_MS } from './catalog-changes.js'

const iso = (d: Date | string): string => (d instanceof Date ? d : new Date(d)).toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00')

// A full load reads every revision (docs/decisions/0022): its timestamps come formatted by the
// database, as iso() would format them, instead of as a Date per row to format again; its JSON
// columns come as text, parsed once per distinct value and shared (frozen) by every revision that
// holds the same one, as most revisions of a catalog do.
const isoText = (column: string) => sql<string>`to_char(${sql.ref(column)} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"000+00:00"')`

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}

/** JSON.parse by text, one frozen object per distinct text of one load. */
function jsonInterner(): (text: string | null) => unknown {
  const seen = new Map<string, unknown>()
  return (text) => {
    if (text === null) return null
    let v = seen.get(text)
    if (v === undefined) {
      v = deepFreeze(JSON.parse(text))
      seen.set(text, v)
    }
    return v
  }
}

/** All packages, or only those ids (missing ids are simply absent from the result). */
export async function loadPackages(db: Db, ids?: readonly string[]): Promise<IndexedPackage[]> {
  if (ids && ids.length === 0) return []
  const where = <T extends { where: (...a: any[]) => T }>(q: T, col: string): T => (ids ? q.where(col, 'in', [...ids]) : q)
  const [pkgs, revs, rels, res, resRevs, attached] = await Promise.all([
    where(db.selectFrom('packages').selectAll(), 'id').execute(),
    where(
      db
        .selectFrom('revisions')
        .innerJoin('blobs', 'blobs.sha256', 'revisions.blob_sha256')
        .select([
          'package_id',
          'revision',
          'version',
          'blobs.sha256',
          'blobs.sha384',
          'blobs.sha3_384',
          'blobs.size',
          sql<string>`platforms::text`.as('platforms'),
          sql<string>`extra::text`.as('extra'),
          isoText('revisions.created_at').as('created_at'),
        ]),
      'package_id',
    ).execute(),
    where(db.selectFrom('channel_releases').selectAll(), 'package_id').execute(),
    where(db.selectFrom('resources').selectAll(), 'package_id').execute(),
    where(
      db
        .selectFrom('resource_revisions')
        .innerJoin('blobs', 'blobs.sha256', 'resource_revisions.blob_sha256')
        .select([
          'package_id',
          'name',
          'revision',
          'type',
          'image_name',
          'resource_revisions.created_at',
          'blobs.sha256',
          'blobs.sha384',
          'blobs.sha3_384',
          'blobs.size',
        ]),
      'package_id',
    ).execute(),
    where(db.selectFrom('revision_resources').selectAll(), 'package_id').execute(),
  ])
  const group = <T extends { package_id: string }>(rows: T[]): Map<string, T[]> => {
    const m = new Map<string, T[]>()
    for (const r of rows) {
      const l = m.get(r.package_id)
      if (l) l.push(r)
      else m.set(r.package_id, [r])
    }
    return m
  }
  const json = jsonInterner()
  const revBy = group(revs)
  const relBy = group(rels)
  const resBy = group(res)
  const rrBy = group(resRevs)
  const attBy = group(attached)
  const digest = (r: Digests): Digests => ({ sha256: r.sha256, sha384: r.sha384, sha3_384: r.sha3_384, size: Number(r.size) })
  return pkgs.map((p): IndexedPackage => {
    const att = attBy.get(p.id) ?? []
    const revisions = new Map<number, IndexedRevision>()
    for (const r of revBy.get(p.id) ?? []) {
      const extra = (json(r.extra) ?? {}) as Record<string, unknown>
      revisions.set(r.revision, {
        revision: r.revision,
        version: r.version,
        createdAt: r.created_at,
        platforms: json(r.platforms) as Base[],
        blob: digest(r),
        subordinate: extra.subordinate === true,
        ...(p.type === 'snap' ? { extra } : {}),
        resources: att.filter((a) => a.revision === r.revision).map((a) => ({ name: a.resource_name, revision: a.resource_revision })),
      })
    }
    const resources = new Map<string, IndexedResource>()
    for (const r of resBy.get(p.id) ?? []) {
      const revMap = new Map<number, IndexedResourceRevision>()
      for (const x of (rrBy.get(p.id) ?? []).filter((x) => x.name === r.name)) {
        revMap.set(x.revision, {
          name: x.name,
          type: x.type,
          revision: x.revision,
          blob: digest(x),
          imageName: x.image_name,
          createdAt: iso(x.created_at),
        })
      }
      resources.set(r.name, { name: r.name, type: r.type, filename: r.filename, description: r.description, revisions: revMap })
    }
    return {
      id: p.id,
      type: p.type,
      name: p.name,
      summary: p.summary,
      description: p.description,
      title: p.title,
      publisher: (p.publisher as unknown as PublisherInfo | null) ?? null,
      details: (p.details as unknown as Record<string, unknown>) ?? {},
      defaultTrack: 'latest',
      revisions,
      resources,
      releases: (relBy.get(p.id) ?? []).map((r) => ({
        channel: { track: r.track, risk: r.risk as Risk, branch: r.branch } satisfies Channel,
        base: { name: r.base_name, channel: r.base_channel, architecture: r.architecture },
        revision: r.revision,
        releasedAt: iso(r.released_at),
      })),
      searchText: `${p.name}\n${p.summary}\n${p.description}`.toLowerCase(),
    }
  })
}

const MAX_DELTA_PACKAGES = 500

export interface CatalogReaderOptions {
  /** How long change rows are kept; a reader whose last load is older than half of it reloads everything. */
  readonly changeWindowMs?: number
}

export function catalogReader(db: Kysely<DB>, opts: CatalogReaderOptions = {}): CatalogReader {
  const windowMs = opts.changeWindowMs ?? DEFAULT_CHANGE_WINDOW_MS
  return {
    load(since) {
      // REPEATABLE READ: every query below reads the one snapshot the cursor describes, so rows of
      // different tables agree, and a change committed meanwhile is left for the next load.
      return db
        .transaction()
        .setIsolationLevel('repeatable read')
        .setAccessMode('read only')
        .execute(async (trx) => {
          const cursor = await snapshotCursor(trx)
          // Half the window: a transaction in flight at the last load may have written its change rows
          // well before that load, and they must still be there.
          if (!since || cursor.at - since.at > windowMs / 2) return { full: true, packages: await loadPackages(trx), changed: [], cursor }
          const changed = await changedSince(trx, since)
          // Past a few hundred packages one pass over everything costs less than a long id list.
          if (changed.length > MAX_DELTA_PACKAGES) return { full: true, packages: await loadPackages(trx), changed: [], cursor }
          return { full: false, packages: await loadPackages(trx, changed), changed, cursor }
        })
    },
    pruneChanges: () => pruneChanges(db, windowMs),
    revisionTexts: textBatcher(db),
  }
}

type Texts = Awaited<ReturnType<CatalogReader['revisionTexts']>>
const MAX_TEXT_BATCH = 100

/**
 * Revision texts are read on first use. A snapd refresh of 30 snaps on a cold server misses 30 of
 * them at once, and a burst of such requests took every pooled connection with one query each until
 * connecting timed out (bench/scale at a million revisions). Misses of one turn of the event loop are
 * read together: one query and one connection per hundred.
 */
function textBatcher(db: Kysely<DB>): CatalogReader['revisionTexts'] {
  let pending: Array<{ id: string; rev: number; resolve: (t: Texts) => void; reject: (e: unknown) => void }> = []
  const flush = async (batch: typeof pending) => {
    try {
      const rows = await db
        .selectFrom('revisions')
        .select([
          'package_id',
          'revision',
          'metadata_yaml',
          'config_yaml',
          'actions_yaml',
          'bundle_yaml',
          'readme_md',
          'snap_yaml',
          'extra',
        ])
        .where(({ eb, refTuple, tuple }) =>
          eb(
            refTuple('package_id', 'revision'),
            'in',
            batch.map((b) => tuple(b.id, b.rev)),
          ),
        )
        .execute()
      const byKey = new Map(rows.map((r) => [`${r.package_id}\0${r.revision}`, r]))
      for (const b of batch) {
        const r = byKey.get(`${b.id}\0${b.rev}`)
        b.resolve(
          r && {
            metadataYaml: r.metadata_yaml,
            configYaml: r.config_yaml,
            actionsYaml: r.actions_yaml,
            bundleYaml: r.bundle_yaml,
            readmeMd: r.readme_md,
            snapYaml: r.snap_yaml,
            extra: (r.extra ?? {}) as Record<string, unknown>,
          },
        )
      }
    } catch (err) {
      for (const b of batch) b.reject(err)
    }
  }
  return (packageId, revision) =>
    new Promise<Texts>((resolve, reject) => {
      if (pending.length === 0)
        setImmediate(() => {
          const all = pending
          pending = []
          for (let i = 0; i < all.length; i += MAX_TEXT_BATCH) void flush(all.slice(i, i + MAX_TEXT_BATCH))
        })
      pending.push({ id: packageId, rev: revision, resolve, reject })
    })
}
