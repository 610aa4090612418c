// Revision texts (metadata.yaml, snap.yaml, README ...) as read from the database, kept by
// "<package id>/<revision>", least recently used first, bounded in bytes. Not an answer cache: a
// read cache under the catalog view, and what info and refresh answers are made from while the
// database is down (so the more it keeps, the more is served then). A revision's texts never
// change; a removed revision's are forgotten (forget), since a later import may reuse its number.
import { Unavailable } from './errors.js'
import type { HitCounter } from './cache-stats.js'
import type { IndexedPackage } from './index.js'
import type { CatalogReader, RevisionTexts } from './ports.js'

interface Entry {
  readonly p: Promise<RevisionTexts | undefined>
  weight: number
}

export class RevisionTextCache {
  /** Map order is insertion order: re-inserted on use, so the first entry is the least recently used. */
  private readonly texts = new Map<string, Entry>()
  private total = 0

  /** `maxBytes` counts two bytes per UTF-16 unit, as V8 may store them. */
  constructor(
    private readonly reader: Pick<CatalogReader, 'revisionTexts'>,
    private readonly maxBytes: number,
    private readonly counts: HitCounter,
  ) {}

  /** Rejects with Unavailable when the texts are not kept and the database does not answer. */
  get(packageId: string, revision: number): Promise<RevisionTexts | undefined> {
    const key = `${packageId}/${revision}`
    const hit = this.texts.get(key)
    if (hit) {
      this.counts.hits++
      this.texts.delete(key)
      this.texts.set(key, hit)
      return hit.p
    }
    this.counts.misses++
    const p = this.reader.revisionTexts(packageId, revision).catch(() => {
      throw new Unavailable('the catalog database is not answering; try again shortly')
    })
    const entry: Entry = { p, weight: 0 }
    this.texts.set(key, entry)
    // Only existing revisions are kept: a missing one may be imported later.
    p.then(
      (v) => {
        if (this.texts.get(key) !== entry) return
        if (!v) {
          this.texts.delete(key)
          return
        }
        entry.weight = 64 + textUnits(v) * 2
        this.total += entry.weight
        for (const [k, e] of this.texts) {
          if (this.total <= this.maxBytes) break
          this.drop(k, e)
        }
      },
      () => {
        if (this.texts.get(key) === entry) this.texts.delete(key)
      },
    )
    return p
  }

  /** Bytes the kept texts are counted at. */
  get bytes(): number {
    return this.total
  }

  /** Drops the texts of `old`'s revisions that `now` (its reloaded self, undefined if removed) no longer has. */
  forget(old: IndexedPackage | undefined, now: IndexedPackage | undefined): void {
    if (!old || this.texts.size === 0) return
    for (const rev of old.revisions.keys()) {
      const key = `${old.id}/${rev}`
      const e = this.texts.get(key)
      if (e && !now?.revisions.has(rev)) this.drop(key, e)
    }
  }

  private drop(key: string, e: Entry): void {
    this.texts.delete(key)
    this.total -= e.weight
  }
}

function textUnits(t: RevisionTexts): number {
  let n = JSON.stringify(t.extra).length
  for (const v of [t.metadataYaml, t.configYaml, t.actionsYaml, t.bundleYaml, t.readmeMd, t.snapYaml]) n += v?.length ?? 0
  return n
}
