// Loads the catalog's read model (catalog/index.ts) from the database: all of it, or the packages
// changed since the reader's last load, in one snapshot (catalog-changes.ts).
import { sql, type Kysely, type Selectable } from 'kysely'
import type { Base } from '../../catalog/base.js'
import type { Channel, Risk } from '../../catalog/channel.js'
import type { IndexedPackage, IndexedRelease, IndexedResource, IndexedResourceRevision, IndexedRevision } from '../../catalog/index.js'
import { PackedRevisions, PackTables } from '../../catalog/packed-revisions.js'
import type { CatalogReader } from '../../catalog/ports.js'
import type { Digests, PublisherInfo } from '../../catalog/model.js'
import type { DB, Db } from './database.js'
import { cursorRows } from './cursor-rows.js'
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

type PackageRow = Selectable<DB['packages']>

/**
 * All packages, or only those ids (missing ids are simply absent from the result). `trx` is the
 * load's transaction: each table is read through a cursor in batches (cursor-rows.ts) and folded
 * into the read model as it comes, revisions packed per package (catalog/packed-revisions.ts), so
 * the rows of a full load are never all in memory at once (docs/decisions/0024).
 */
export async function loadPackages(trx: Db, ids?: readonly string[]): Promise<IndexedPackage[]> {
  if (ids && ids.length === 0) return []
  const where = <T extends { where: (...a: any[]) => T }>(q: T, col: string): T => (ids ? q.where(col, 'in', [...ids]) : q)
  const json = jsonInterner()
  const tables = new PackTables()
  const text = textInterner()
  const digest = (r: Digests): Digests => ({ sha256: r.sha256, sha384: r.sha384, sha3_384: r.sha3_384, size: Number(r.size) })

  const pkgs: PackageRow[] = []
  for await (const rows of cursorRows(trx, where(trx.selectFrom('packages').selectAll(), 'id').orderBy('id'))) pkgs.push(...rows)

  // Resource revisions shipped with each revision, by package, then revision.
  const attached = new Map<string, Map<number, Array<{ name: string; revision: number }>>>()
  for await (const rows of cursorRows(trx, where(trx.selectFrom('revision_resources').selectAll(), 'package_id'))) {
    for (const a of rows) {
      let byRev = attached.get(a.package_id)
      if (!byRev) attached.set(a.package_id, (byRev = new Map()))
      const list = byRev.get(a.revision)
      const item = { name: text(a.resource_name), revision: a.resource_revision }
      if (list) list.push(item)
      else byRev.set(a.revision, [item])
    }
  }

  const resources = new Map<string, Map<string, IndexedResource & { revisions: Map<number, IndexedResourceRevision> }>>()
  for await (const rows of cursorRows(trx, where(trx.selectFrom('resources').selectAll(), 'package_id'))) {
    for (const r of rows) {
      let m = resources.get(r.package_id)
      if (!m) resources.set(r.package_id, (m = new Map()))
      m.set(r.name, { name: r.name, type: r.type, filename: r.filename, description: r.description, revisions: new Map() })
    }
  }
  const resourceRevisions = where(
    trx
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
  )
  for await (const rows of cursorRows(trx, resourceRevisions)) {
    for (const x of rows) {
      resources
        .get(x.package_id)
        ?.get(x.name)
        ?.revisions.set(x.revision, {
          name: x.name,
          type: x.type,
          revision: x.revision,
          blob: digest(x),
          imageName: x.image_name,
          createdAt: iso(x.created_at),
        })
    }
  }

  // Revisions come ordered by package, so each package's rows arrive together and are packed as
  // soon as the next package's begin.
  const revisions = new Map<string, PackedRevisions>()
  const revisionRows = where(
    trx
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
  ).orderBy('package_id')
  const snaps = new Set(pkgs.filter((p) => p.type === 'snap').map((p) => p.id))
  let current: string | undefined
  let group: IndexedRevision[] = []
  const flush = () => {
    if (current !== undefined) revisions.set(current, PackedRevisions.pack(group, tables))
    group = []
  }
  for await (const rows of cursorRows(trx, revisionRows)) {
    for (const r of rows) {
      if (r.package_id !== current) {
        flush()
        current = r.package_id
      }
      const extra = (json(r.extra) ?? EMPTY) as Record<string, unknown>
      group.push({
        revision: r.revision,
        version: r.version,
        createdAt: r.created_at,
        platforms: json(r.platforms) as Base[],
        blob: digest(r),
        subordinate: extra.subordinate === true,
        ...(snaps.has(r.package_id) ? { extra } : {}),
        resources: attached.get(r.package_id)?.get(r.revision) ?? NONE,
      })
    }
  }
  flush()
  tables.seal()

  // Releases repeat a handful of channels, bases and times across the catalog: one object each.
  const releases = new Map<string, IndexedRelease[]>()
  const channels = new Map<string, Channel>()
  const bases = new Map<string, Base>()
  const releaseRows = where(
    trx
      .selectFrom('channel_releases')
      .select([
        'package_id',
        'track',
        'risk',
        'branch',
        'base_name',
        'base_channel',
        'architecture',
        'revision',
        isoText('released_at').as('released_at'),
      ]),
    'package_id',
  )
  for await (const rows of cursorRows(trx, releaseRows)) {
    for (const r of rows) {
      const ck = `${r.track}\0${r.risk}\0${r.branch ?? ''}\0${r.branch === null ? 0 : 1}`
      let channel = channels.get(ck)
      if (!channel) channels.set(ck, (channel = Object.freeze({ track: r.track, risk: r.risk as Risk, branch: r.branch })))
      const bk = `${r.base_name}\0${r.base_channel}\0${r.architecture}`
      let base = bases.get(bk)
      if (!base) bases.set(bk, (base = Object.freeze({ name: r.base_name, channel: r.base_channel, architecture: r.architecture })))
      const rel: IndexedRelease = { channel, base, revision: r.revision, releasedAt: text(r.released_at) }
      const list = releases.get(r.package_id)
      if (list) list.push(rel)
      else releases.set(r.package_id, [rel])
    }
  }

  const publishers = jsonValueInterner()
  return pkgs.map((p): IndexedPackage => ({
    id: p.id,
    type: p.type,
    name: p.name,
    summary: p.summary,
    description: p.description,
    title: p.title,
    publisher: publishers(p.publisher) as PublisherInfo | null,
    details: (p.details as unknown as Record<string, unknown>) ?? {},
    defaultTrack: 'latest',
    revisions: revisions.get(p.id) ?? PackedRevisions.pack([], tables),
    resources: resources.get(p.id) ?? new Map(),
    releases: releases.get(p.id) ?? [],
    searchText: `${p.name}\n${p.summary}\n${p.description}`.toLowerCase(),
  }))
}

const EMPTY = Object.freeze({})
const NONE: ReadonlyArray<{ name: string; revision: number }> = Object.freeze([])

/** One string object per distinct text of one load. */
function textInterner(): (s: string) => string {
  const seen = new Map<string, string>()
  return (s) => {
    const had = seen.get(s)
    if (had !== undefined) return had
    seen.set(s, s)
    return s
  }
}

/** Equal JSON values (as the driver parsed them) shared: one frozen object per distinct value. */
function jsonValueInterner(): (v: unknown) => unknown {
  const seen = new Map<string, unknown>()
  return (v) => {
    if (v === null || v === undefined) return null
    const key = JSON.stringify(v)
    let had = seen.get(key)
    if (had === undefined) seen.set(key, (had = deepFreeze(v)))
    return had
  }
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
