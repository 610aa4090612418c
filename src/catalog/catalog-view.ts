// The catalog as the read APIs see it: the in-memory index plus a cache of revision texts
// (revision-text-cache.ts).
// The index follows the database's change log (docs/decisions/0010): each load reads, in one
// snapshot, the packages changed since the previous load's snapshot. Loads run one at a time, off
// the request path; they are started after a commit in this process (and awaited by it), when
// another replica's commit is announced, and by a slow poll that covers lost announcements.
import { CatalogIndex } from './index.js'
import { RevisionTextCache } from './revision-text-cache.js'
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
  /**
   * Hit and miss counts of the revision-text cache and of the routes' answer caches made from this
   * view, by cache name (the metrics read them).
   */
  readonly caches = new CacheStats()
  private readonly texts: RevisionTextCache
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
  constructor(
    private readonly reader: CatalogReader,
    maxTextBytes = 64 * 1024 * 1024,
  ) {
    this.texts = new RevisionTextCache(reader, maxTextBytes, this.caches.counter('revision_texts'))
  }

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
    this.next = this.running
      .catch(() => undefined)
      .then(() => {
        this.next = undefined
        return this.start()
      })
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
      void this.refresh()
        .then(
          async () => {
            if (this.failing) {
              this.failing = false
              opts.onRecovered?.()
            }
            if (Date.now() - this.lastPrune >= pruneMs) {
              this.lastPrune = Date.now()
              await this.reader.pruneChanges()
            }
          },
          (err: unknown) => {
            if (!this.failing) {
              this.failing = true
              opts.onFailing?.(err)
            }
          },
        )
        .catch(() => {
          /* a failed prune is retried at the next poll */
        })
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
    return this.texts.get(packageId, revision)
  }

  /** Bytes the kept revision texts are counted at (tests check the bound). */
  get cachedTextBytes(): number {
    return this.texts.bytes
  }

  private start(): Promise<void> {
    const run = this.loadOnce().finally(() => {
      if (this.running === run) this.running = undefined
    })
    this.running = run
    return run
  }

  private async loadOnce(): Promise<void> {
    const r: CatalogLoad = await this.reader.load(this.cursor)
    const fresh = new Map(r.packages.map((p) => [p.id, p]))
    const gone = r.full ? [...this.index.all()].filter((p) => !fresh.has(p.id)).map((p) => p.id) : r.changed.filter((id) => !fresh.has(id))
    for (const id of gone) {
      this.texts.forget(this.index.byPackageId(id), undefined)
      this.index.remove(id)
    }
    for (const p of r.packages) {
      this.texts.forget(this.index.byPackageId(p.id), p)
      this.index.put(p)
    }
    this.cursor = r.cursor
  }
}
