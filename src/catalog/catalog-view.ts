// The catalog as the read APIs see it: the in-memory index plus a cache of revision texts.
// Revisions are immutable, so cached texts never go stale; the index is refreshed after each import
// in this process, and by polling the catalog version when replicas share one PostgreSQL.
import { CatalogIndex } from './index.js'
import { CacheStats } from './cache-stats.js'
import type { CatalogReader, RevisionTexts } from './ports.js'

export class CatalogView {
  readonly index = new CatalogIndex()
  /** Hit and miss counts of the caches of answers made from this view (the metrics read them). */
  readonly caches = new CacheStats()
  private readonly textCounts = this.caches.counter('revision_texts')
  private readonly texts = new Map<string, Promise<RevisionTexts | undefined>>()
  private lastVersion = ''
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly reader: CatalogReader, private readonly maxCachedTexts = 20_000) {}

  async loadAll(): Promise<void> {
    const version = await this.reader.version()
    const pkgs = await this.reader.loadPackages()
    const seen = new Set(pkgs.map((p) => p.id))
    for (const p of [...this.index.all()]) if (!seen.has(p.id)) this.index.remove(p.id)
    for (const p of pkgs) this.index.put(p)
    this.lastVersion = version
  }

  /** Re-reads these packages after they changed. */
  async reload(ids: readonly string[]): Promise<void> {
    const pkgs = await this.reader.loadPackages(ids)
    const found = new Set(pkgs.map((p) => p.id))
    for (const id of ids) if (!found.has(id)) this.index.remove(id)
    for (const p of pkgs) this.index.put(p)
    this.lastVersion = await this.reader.version()
  }

  /** Polls the catalog version; reloads everything when another replica changed it. */
  startPolling(intervalMs: number, onError: (err: unknown) => void): void {
    this.timer = setInterval(() => {
      void (async () => {
        if ((await this.reader.version()) !== this.lastVersion) await this.loadAll()
      })().catch(onError)
    }, intervalMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
  }

  revisionTexts(packageId: string, revision: number): Promise<RevisionTexts | undefined> {
    const key = `${packageId}/${revision}`
    let p = this.texts.get(key)
    if (p) {
      this.textCounts.hits++
      // Map order is insertion order: re-insert to mark as recently used.
      this.texts.delete(key)
      this.texts.set(key, p)
      return p
    }
    this.textCounts.misses++
    p = this.reader.revisionTexts(packageId, revision)
    // Only existing revisions are cached: a missing one may be imported later.
    p.then((v) => { if (!v) this.texts.delete(key) }, () => this.texts.delete(key))
    this.texts.set(key, p)
    if (this.texts.size > this.maxCachedTexts) this.texts.delete(this.texts.keys().next().value!)
    return p
  }
}
