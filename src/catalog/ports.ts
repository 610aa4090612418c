// What the catalog needs from storage. Implemented by storage/db/catalog.repo.ts; every method runs
// inside the transaction the use case was given.
import type { AssertionInput, Digests, PackageType, PublisherInfo } from './model.js'
import type { Base } from './base.js'

export type Namespace = 'charmhub' | 'snapstore'

export interface ReleaseSlot {
  readonly track: string
  readonly risk: string
  readonly branch: string
  readonly base: Base
}

export interface NewPackage {
  readonly id: string
  readonly namespace: Namespace
  readonly type: PackageType
  readonly name: string
  readonly publisher?: PublisherInfo | undefined
  readonly summary: string
  readonly description: string
  readonly title: string
  readonly details: Readonly<Record<string, unknown>>
}

export interface NewRevisionRow {
  readonly packageId: string
  readonly revision: number
  readonly version: string
  readonly blobSha256: string
  readonly platforms: readonly Base[]
  readonly texts: Readonly<Record<string, string | null | undefined>>
  readonly attributes: Readonly<Record<string, string>>
  readonly extra: Readonly<Record<string, unknown>>
}

export interface CatalogWriter {
  findPackage(namespace: Namespace, name: string): Promise<{ id: string; type: PackageType } | undefined>
  packageIdTaken(id: string): Promise<boolean>
  insertPackage(p: NewPackage): Promise<void>
  /** Refreshes store-facing details when a new revision arrives; bumps updated_at. */
  updatePackage(id: string, p: Omit<NewPackage, 'id' | 'namespace' | 'type' | 'name'>): Promise<void>
  findRevisionBlob(packageId: string, revision: number): Promise<string | undefined>
  /** The revision holding these bytes, if any; and the highest revision number (0 when none). */
  findRevisionByBlob(packageId: string, sha256: string): Promise<number | undefined>
  maxRevision(packageId: string): Promise<number>
  ensureBlob(blob: Digests): Promise<void>
  insertRevision(r: NewRevisionRow): Promise<void>
  upsertDeclaredResource(
    packageId: string,
    r: { name: string; type: 'file' | 'oci-image'; filename: string; description: string },
  ): Promise<void>
  findResourceRevisionBlob(packageId: string, name: string, revision: number): Promise<string | undefined>
  insertResourceRevision(
    packageId: string,
    r: { name: string; type: 'file' | 'oci-image'; revision: number; blobSha256: string; imageName?: string | undefined },
  ): Promise<void>
  attachResource(packageId: string, revision: number, name: string, resourceRevision: number): Promise<void>
  getRelease(packageId: string, slot: ReleaseSlot): Promise<number | undefined>
  setRelease(packageId: string, slot: ReleaseSlot, revision: number): Promise<void>
  /** Whether the slot's last history entry is a close (an operator closed it, or removed its revision). */
  slotClosed(packageId: string, slot: ReleaseSlot): Promise<boolean>
  /** Stores an assertion unless the same or a newer revision is there; true when it wrote. */
  putAssertion(a: AssertionInput): Promise<boolean>
  linkAssertion(packageId: string, type: string, primaryKey: string): Promise<boolean>
  /**
   * Holds these blobs against deletion until the transaction ends (the blob lock protocol,
   * storage/blobs/blob-locks.ts, at transaction level); waits while a deleter holds one.
   */
  holdBlobs(sha256s: readonly string[]): Promise<void>
}

export interface CatalogStore {
  /**
   * Runs `fn` in one transaction; a throw rolls everything back. Rejects with ConcurrentChange when
   * a concurrent transaction wrote the same keys first (running again sees its rows).
   */
  transaction<T>(fn: (w: CatalogWriter) => Promise<T>): Promise<T>
}

export interface RevisionTexts {
  readonly metadataYaml: string | null
  readonly configYaml: string | null
  readonly actionsYaml: string | null
  readonly bundleYaml: string | null
  readonly readmeMd: string | null
  readonly snapYaml: string | null
  readonly extra: Readonly<Record<string, unknown>>
}

/** Where a reader stands in the catalog's change log (opaque here; storage makes and reads it). */
export interface ChangeCursor {
  readonly token: string
  /** The database clock at that point (ms since the epoch). */
  readonly at: number
}

export interface CatalogLoad {
  /** true: `packages` is the whole catalog; false: only the packages in `changed` that still exist. */
  readonly full: boolean
  readonly packages: import('./index.js').IndexedPackage[]
  /** Partial loads: ids that changed (those absent from `packages` were removed). */
  readonly changed: readonly string[]
  readonly cursor: ChangeCursor
}

/** Reads the catalog into the in-memory index (catalog/index.ts). */
export interface CatalogReader {
  /**
   * Everything, or (given the cursor of the last load) the packages changed since, read in one
   * snapshot. Falls back to everything when the change log no longer reaches back to the cursor.
   */
  load(since?: ChangeCursor): Promise<CatalogLoad>
  /** Forgets changes old enough that no live reader can still need them. */
  pruneChanges(): Promise<number>
  revisionTexts(packageId: string, revision: number): Promise<RevisionTexts | undefined>
}

/** An assertion as stored: exact bytes, indexed by (type, primary key joined with "/"). */
export interface StoredAssertion {
  readonly type: string
  readonly primaryKey: string
  readonly revision: number
  /** The `format` header (0 when absent). */
  readonly format: number
  readonly headers: Readonly<Record<string, string>>
  readonly bytes: Buffer
}

/** Reads stored assertions for the Snap Store API. Implemented by storage/db/assertions.repo.ts. */
export interface AssertionReader {
  assertion(type: string, primaryKey: string): Promise<StoredAssertion | undefined>
  /** The highest sequence of a sequence-forming assertion: primary key `<sequenceKey>/<N>`. */
  latestInSequence(type: string, sequenceKey: string): Promise<StoredAssertion | undefined>
  /** Every stored assertion of a type (few: e.g. `store`). */
  ofType(type: string): Promise<StoredAssertion[]>
}
