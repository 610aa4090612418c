// The catalog as the read APIs see it: the in-memory index plus a cache of revision texts.
// The index follows the database's change log (docs/decisions/0010): each load reads, in one
// snapshot, the packages changed since the previous load's snapshot. Loads run one at a time, off
// the request path; they are started after a commit in this process (and awaited by it), when
// another replica's commit is announced, and by a slow poll that covers lost announcements.
import { CatalogIndex, type IndexedPackage } from './index.js'
import { Unavailable } from './errors.js'
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
  private readonly texts = new Map<string, Promise<RevisionTexts | undefined>>()
  private cursor: ChangeCursor | undefined
  private running: Promise<void> | undefined
  private next: Promise<void> | undefined
  private timer: NodeJS.Timeout | undefined
  private failing = false
  private lastPrune = 0

  constructor(private readonly reader: CatalogReader, private readonly maxCachedTexts = 20_000) {}

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
    let p = this.texts.get(key)
    if (p) {
      // Map order is insertion order: re-insert to mark as recently used.
      this.texts.delete(key)
      this.texts.set(key, p)
      return p
    }
    p = this.reader.revisionTexts(packageId, revision).catch(() => {
      throw new Unavailable('the catalog database is not answering; try again shortly')
    })
    // Only existing revisions are cached: a missing one may be imported later.
    p.then((v) => { if (!v) this.texts.delete(key) }, () => this.texts.delete(key))
    this.texts.set(key, p)
    if (this.texts.size > this.maxCachedTexts) this.texts.delete(this.texts.keys().next().value!)
    return p
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
    for (const rev of old.revisions.keys()) if (!now?.revisions.has(rev)) this.texts.delete(`${old.id}/${rev}`)
  }
}
