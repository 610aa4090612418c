// The catalog as the read APIs see it: the in-memory index plus a cache of revision texts.
// Revisions are immutable, so cached texts never go stale; the index is refreshed after each import
// in this process, and by polling the catalog version when replicas share one PostgreSQL.
import { CatalogIndex } from './index.js'
import type { CatalogReader, RevisionTexts } from './ports.js'

export class CatalogView {
  readonly index = new CatalogIndex()
  /** Least recently used first; `bytes` is 0 until the texts arrive. */
  private readonly texts = new Map<string, { readonly p: Promise<RevisionTexts | undefined>; bytes: number }>()
  private textBytes = 0
  private lastVersion = ''
  private timer: NodeJS.Timeout | undefined

  /** `maxTextBytes`: revision texts (README, config and metadata YAML ...) kept in memory, in UTF-16 code units. */
  constructor(private readonly reader: CatalogReader, private readonly maxTextBytes = 64 << 20) {}

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
    const hit = this.texts.get(key)
    if (hit) {
      // Map order is insertion order: re-insert to mark as recently used.
      this.texts.delete(key)
      this.texts.set(key, hit)
      return hit.p
    }
    const entry = { p: this.reader.revisionTexts(packageId, revision), bytes: 0 }
    this.texts.set(key, entry)
    // Only existing revisions are cached: a missing one may be imported later.
    entry.p.then((v) => {
      if (!v) { this.forget(key, entry); return }
      if (this.texts.get(key) !== entry) return
      entry.bytes = weighTexts(v) + key.length
      this.textBytes += entry.bytes
      for (const [k, e] of this.texts) {
        if (this.textBytes <= this.maxTextBytes) break
        this.forget(k, e)
      }
    }, () => this.forget(key, entry))
    return entry.p
  }

  private forget(key: string, entry: { bytes: number }): void {
    if (this.texts.get(key) !== entry) return
    this.texts.delete(key)
    this.textBytes -= entry.bytes
  }

  /** Bytes held by cached revision texts (for tests and status). */
  get cachedTextBytes(): number { return this.textBytes }
}

function weighTexts(t: RevisionTexts): number {
  let n = 0
  for (const v of [t.metadataYaml, t.configYaml, t.actionsYaml, t.bundleYaml, t.readmeMd, t.snapYaml]) n += v?.length ?? 0
  // `extra` is small structured metadata; its size is not worth a JSON.stringify per miss.
  return n + 256
}
