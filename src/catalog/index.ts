// The in-memory read model of the catalog: everything selection needs, indexed at import time so
// the hot read paths (refresh, info, find) never touch the database. Large texts (metadata-yaml ...)
// are not kept here; CatalogView fetches and caches them per immutable revision.
import type { Base } from './base.js'
import type { Channel } from './channel.js'
import type { Digests, PackageType, PublisherInfo } from './model.js'

export interface IndexedRevision {
  readonly revision: number
  readonly version: string
  readonly createdAt: string // RFC3339
  readonly platforms: readonly Base[]
  readonly blob: Digests
  /** Resource revisions shipped with this revision. */
  readonly resources: ReadonlyArray<{ readonly name: string; readonly revision: number }>
  readonly subordinate: boolean
  /** Snaps only: confinement, grade, base, type, epoch {read, write}, store (the importer's `extra`). */
  readonly extra?: Readonly<Record<string, unknown>>
}

export interface IndexedRelease {
  readonly channel: Channel
  readonly base: Base
  readonly revision: number
  readonly releasedAt: string // RFC3339
}

export interface IndexedResourceRevision {
  readonly name: string
  readonly type: 'file' | 'oci-image'
  readonly revision: number
  readonly blob: Digests
  readonly imageName: string | null
  readonly createdAt: string
}

export interface IndexedResource {
  readonly name: string
  readonly type: 'file' | 'oci-image'
  readonly filename: string
  readonly description: string
  readonly revisions: ReadonlyMap<number, IndexedResourceRevision>
}

export interface IndexedPackage {
  readonly id: string
  readonly type: PackageType
  readonly name: string
  readonly summary: string
  readonly description: string
  readonly title: string
  readonly publisher: PublisherInfo | null
  readonly details: Readonly<Record<string, unknown>>
  readonly defaultTrack: string
  readonly revisions: ReadonlyMap<number, IndexedRevision>
  readonly releases: readonly IndexedRelease[]
  readonly resources: ReadonlyMap<string, IndexedResource>
  /** Lower-cased name + summary + description, for find. */
  readonly searchText: string
}

export class CatalogIndex {
  private readonly byName = new Map<string, IndexedPackage>() // key: namespace-less "<type-group>:<name>"
  private readonly byId = new Map<string, IndexedPackage>()
  private changes = 0

  /** Changes whenever a package is put or removed: what was derived at one generation holds while it lasts. */
  get generation(): number {
    return this.changes
  }

  private static key(type: PackageType, name: string): string {
    return `${type === 'snap' ? 'snap' : 'charmhub'}:${name}`
  }

  put(pkg: IndexedPackage): void {
    const old = this.byId.get(pkg.id)
    if (old) this.byName.delete(CatalogIndex.key(old.type, old.name))
    this.byId.set(pkg.id, pkg)
    this.byName.set(CatalogIndex.key(pkg.type, pkg.name), pkg)
    this.changes++
  }

  remove(id: string): void {
    const old = this.byId.get(id)
    if (!old) return
    this.byId.delete(id)
    this.byName.delete(CatalogIndex.key(old.type, old.name))
    this.changes++
  }

  /** A charm or bundle by Charmhub name. */
  charmhubByName(name: string): IndexedPackage | undefined {
    return this.byName.get(`charmhub:${name}`)
  }

  snapByName(name: string): IndexedPackage | undefined {
    return this.byName.get(`snap:${name}`)
  }

  byPackageId(id: string): IndexedPackage | undefined {
    return this.byId.get(id)
  }

  all(): IterableIterator<IndexedPackage> {
    return this.byId.values()
  }

  get size(): number {
    return this.byId.size
  }
}
