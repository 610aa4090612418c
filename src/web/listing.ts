// What the catalog page lists, from the in-memory index: one row per package (latest version and
// channels worked out once), sorted by name, rebuilt only when the index changed. A search filters
// the rows by the index's lower-cased name + summary + description text.
import type { CatalogIndex, IndexedPackage, IndexedRelease } from '../catalog/index.js'
import { RISKS, formatChannel } from '../catalog/channel.js'
import type { PackageType } from '../catalog/model.js'

export interface Row {
  readonly pkg: IndexedPackage
  /** Version of the revision on the most stable channel of the default track; else of the newest revision. */
  readonly version: string
  readonly channels: readonly string[]
}

export const channelOrder = (a: IndexedRelease, b: IndexedRelease, defaultTrack: string): number =>
  (a.channel.track === defaultTrack ? 0 : 1) - (b.channel.track === defaultTrack ? 0 : 1) ||
  a.channel.track.localeCompare(b.channel.track) ||
  RISKS.indexOf(a.channel.risk) - RISKS.indexOf(b.channel.risk) ||
  a.channel.branch.localeCompare(b.channel.branch)

function rowOf(pkg: IndexedPackage): Row {
  const releases = [...pkg.releases].sort((a, b) => channelOrder(a, b, pkg.defaultTrack) || b.revision - a.revision)
  const top = releases[0]
  const newest = [...pkg.revisions.values()].reduce<{ revision: number; version: string } | undefined>(
    (m, r) => (!m || r.revision > m.revision ? r : m),
    undefined,
  )
  const version = (top && pkg.revisions.get(top.revision)?.version) ?? newest?.version ?? ''
  const channels = [...new Set(releases.map((r) => formatChannel(r.channel)))]
  return { pkg, version, channels }
}

export class Listing {
  private rows: Row[] = []
  private generation = -1

  constructor(private readonly index: CatalogIndex) {}

  private all(): Row[] {
    if (this.generation !== this.index.generation) {
      this.rows = [...this.index.all()]
        .map(rowOf)
        .sort((a, b) => (a.pkg.name < b.pkg.name ? -1 : a.pkg.name > b.pkg.name ? 1 : a.pkg.type.localeCompare(b.pkg.type)))
      this.generation = this.index.generation
    }
    return this.rows
  }

  /** Rows of `type` (all types when undefined) whose text holds every word of `query`. */
  find(query: string, type: PackageType | undefined): Row[] {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean)
    return this.all().filter((r) => (!type || r.pkg.type === type) && words.every((w) => r.pkg.searchText.includes(w)))
  }

  row(pkg: IndexedPackage): Row {
    return rowOf(pkg)
  }
}
