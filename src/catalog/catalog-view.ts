// The catalog as the read APIs see it: the in-memory index plus a cache of revision texts.
// The index follows the database's change log (docs/decisions/0010): each load reads, in one
// snapshot, the packages changed since the previous load's snapshot. Loads run one at a time, off
// the request path; they are started after a commit in this process (and awaited by it), when
// another replica's commit is announced, and by a slow poll that covers lost announcements.
import { CatalogIndex, type IndexedPackage } from './index.js'
import { Unavailable } from './errors.js'
import { CacheStats } from './cache-stats.js'
import type { CatalogLoad, CatalogReader, ChangeCursor, RevisionTexts } from './ports.js'

export interface WatchOptions {
  readonly pollMs: number
  /** How often the change log is pruned. */
  readonly pruneMs?: number
  /** Called when loads start failing (once, not per attempt) ... */
  readonly onFailing?: (err: unknown) => void
  /** ... and when they work again. */
  readonly onRecovered?: () => void
}

export class CatalogView {
  readonly index = new CatalogIndex()
  /** Hit and miss counts of the caches of answers made from this view (the metrics read them). */
  readonly caches = new CacheStats()
  private readonly textCounts = this.caches.counter('revision_texts')
  /** Revision texts by "<package id>/<revision>", least recently used first; weight in bytes, known once read. */
  private readonly texts = new Map<string, { readonly p: Promise<RevisionTexts | undefined>; weight: number }>()
  private textBytes = 0
  private cursor: ChangeCursor | undefined
  private running: Promise<void> | undefined
  private next: Promise<void> | undefined
  private timer: NodeJS.Timeout | undefined
  private failing = false
  private lastPrune = 0

  /**
   * `maxTextBytes` bounds the texts kept (counted as two bytes per UTF-16 unit, as V8 may store them):
   * they are what info and refresh answers need from the database, so the more are kept, the more is
   * served while it is down.
   */
  constructor(private readonly reader: CatalogReader, private readonly maxTextBytes = 64 * 1024 * 1024) {}

  /** Loads the whole catalog (at start). */
  async loadAll(): Promise<void> {
    this.cursor = undefined
    await this.refresh()
  }

  /**
   * Brings the index up to date with everything committed before this call. While a load runs,
   * callers share the one load that starts after it: a burst of changes costs at most two loads.
   */
  refresh(): Promise<void> {
    if (this.next) return this.next
    if (!this.running) return this.start()
    this.next = this.running.catch(() => undefined).then(() => { this.next = undefined; return this.start() })
    return this.next
  }

  /** Kept for callers that know what they changed: the change log knows too, so this is refresh(). */
  reload(_ids?: readonly string[]): Promise<void> {
    return this.refresh()
  }

  /** Polls the change log (the fallback when an announcement is lost) and prunes it now and then. */
  startWatching(opts: WatchOptions): void {
    const pruneMs = opts.pruneMs ?? 60_000
    this.timer = setInterval(() => {
      void this.refresh().then(async () => {
        if (this.failing) { this.failing = false; opts.onRecovered?.() }
        if (Date.now() - this.lastPrune >= pruneMs) { this.lastPrune = Date.now(); await this.reader.pruneChanges() }
      }, (err: unknown) => {
        if (!this.failing) { this.failing = true; opts.onFailing?.(err) }
      }).catch(() => { /* a failed prune is retried at the next poll */ })
    }, opts.pollMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
  }

  /**
   * The texts of a revision, cached (a revision's texts never change). Rejects with Unavailable when
   * they are not cached and the database does not answer.
   */
  revisionTexts(packageId: string, revision: number): Promise<RevisionTexts | undefined> {
    const key = `${packageId}/${revision}`
    const hit = this.texts.get(key)
    if (hit) {
      this.textCounts.hits++
      // Map order is insertion order: re-insert to mark as recently used.
      this.texts.delete(key)
      this.texts.set(key, hit)
      return hit.p
    }
    this.textCounts.misses++
    const p = this.reader.revisionTexts(packageId, revision).catch(() => {
      throw new Unavailable('the catalog database is not answering; try again shortly')
    })
    const entry = { p, weight: 0 }
    this.texts.set(key, entry)
    // Only existing revisions are cached: a missing one may be imported later.
    p.then((v) => {
      if (this.texts.get(key) !== entry) return
      if (!v) { this.texts.delete(key); return }
      entry.weight = 64 + textUnits(v) * 2
      this.textBytes += entry.weight
      for (const [k, e] of this.texts) {
        if (this.textBytes <= this.maxTextBytes) break
        this.dropText(k, e)
      }
    }, () => { if (this.texts.get(key) === entry) this.texts.delete(key) })
    return p
  }

  /** Bytes the kept revision texts are counted at (tests check the bound). */
  get cachedTextBytes(): number { return this.textBytes }

  private dropText(key: string, e: { weight: number }): void {
    this.texts.delete(key)
    this.textBytes -= e.weight
  }

  private start(): Promise<void> {
    const run = this.loadOnce().finally(() => { if (this.running === run) this.running = undefined })
    this.running = run
    return run
  }

  private async loadOnce(): Promise<void> {
    const r: CatalogLoad = await this.reader.load(this.cursor)
    const fresh = new Map(r.packages.map((p) => [p.id, p]))
    const gone = r.full ? [...this.index.all()].filter((p) => !fresh.has(p.id)).map((p) => p.id) : r.changed.filter((id) => !fresh.has(id))
    for (const id of gone) { this.forgetTexts(this.index.byPackageId(id), undefined); this.index.remove(id) }
    for (const p of r.packages) { this.forgetTexts(this.index.byPackageId(p.id), p); this.index.put(p) }
    this.cursor = r.cursor
  }

  /** Drops cached texts of revisions that no longer exist (removed; a later import may reuse the number). */
  private forgetTexts(old: IndexedPackage | undefined, now: IndexedPackage | undefined): void {
    if (!old || this.texts.size === 0) return
    for (const rev of old.revisions.keys()) {
      const key = `${old.id}/${rev}`
      const e = this.texts.get(key)
      if (e && !now?.revisions.has(rev)) this.dropText(key, e)
    }
  }
}

function textUnits(t: RevisionTexts): number {
  let n = JSON.stringify(t.extra).length
  for (const v of [t.metadataYaml, t.configYaml, t.actionsYaml, t.bundleYaml, t.readmeMd, t.snapYaml]) n += v?.length ?? 0
  return n
}
