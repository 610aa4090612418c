// What the day-to-day operations (release, close, remove, tokens, audit, status, list) need from
// storage. Implemented by storage/db/operations.repo.ts, tokens.repo.ts, audit.repo.ts,
// listing.repo.ts and images.repo.ts; every writer method runs inside the transaction the use case
// was given.
import type { Base } from './base.js'
import type { Channel } from './channel.js'
import type { PackageType, PublisherInfo } from './model.js'
import type { ReleaseSlot } from './ports.js'

/** Who made a change: the admin token's id (jti) and its name as it was at the time. */
export interface Actor {
  readonly tokenId: string
  readonly tokenName: string
}

export interface AuditEntry {
  /** push, release, close, remove, token-create, token-revoke, gc ... */
  readonly action: string
  readonly packageType?: PackageType | undefined
  readonly packageName?: string | undefined
  readonly packageId?: string | undefined
  readonly revisions?: readonly number[] | undefined
  /** "latest/stable ubuntu@22.04/amd64" (charms), "latest/edge arm64" (snaps). */
  readonly channels?: readonly string[] | undefined
  readonly detail?: Readonly<Record<string, unknown>> | undefined
}

export interface AuditRecord extends AuditEntry {
  readonly id: number
  readonly at: string // RFC3339
  readonly tokenId: string
  readonly tokenName: string
}

/** Appends to the audit trail; call it inside the transaction that made the change. */
export interface AuditWriter {
  record(actor: Actor, entry: AuditEntry): Promise<void>
}

export interface AuditReader {
  /** Entries at or after `since`, oldest first, at most `limit`. */
  since(since: Date, limit: number): Promise<AuditRecord[]>
}

export interface PackageRef {
  readonly id: string
  readonly type: PackageType
  readonly name: string
}

export interface CurrentRelease {
  readonly channel: Channel
  readonly base: Base
  readonly revision: number
}

export interface OperationsWriter extends AuditWriter {
  /** Every package with this name: at most one charm or bundle and one snap. */
  packagesNamed(name: string): Promise<PackageRef[]>
  revisions(packageId: string): Promise<ReadonlyArray<{ revision: number; platforms: readonly Base[] }>>
  releases(packageId: string): Promise<CurrentRelease[]>
  /** Whether the release history has ever named this channel (any base), open or closed. */
  channelEverUsed(packageId: string, channel: Channel): Promise<boolean>
  /** Points a slot at a revision and appends to the release history. */
  setRelease(packageId: string, slot: ReleaseSlot, revision: number): Promise<void>
  /** Empties a slot and appends a close (a history row without revision). */
  closeSlot(packageId: string, slot: ReleaseSlot): Promise<void>
  /** Deletes revisions (their pointers and attachments go with them) and resource revisions no remaining revision ships. */
  deleteRevisions(packageId: string, revisions: readonly number[]): Promise<void>
  deletePackage(packageId: string): Promise<void>
  /** Names of bundles whose charms include this charm id. */
  bundlesNaming(charmId: string): Promise<string[]>
  /** Marks the package changed (replicas compare it to see changes). */
  touchPackage(packageId: string): Promise<void>
  /** When the audit trail shows a remove of this package (and revision, if given); undefined if never. */
  removedAt(type: PackageType | undefined, name: string, revision?: number): Promise<{ at: string; type: PackageType } | undefined>
}

export interface OperationsStore {
  /** Runs `fn` in one transaction; a throw rolls everything back. */
  transaction<T>(fn: (w: OperationsWriter) => Promise<T>): Promise<T>
}

export interface TokenRecord {
  readonly id: string
  readonly name: string
  readonly createdAt: string
  readonly expiresAt: string | null
  readonly lastUsedAt: string | null
  readonly revokedAt: string | null
}

export interface TokenWriter extends AuditWriter {
  get(id: string): Promise<TokenRecord | undefined>
  /** Inserts unless the id is there; true when it wrote. */
  insert(t: { id: string; name: string; createdAt: Date; expiresAt: Date | null }): Promise<boolean>
  revoke(id: string): Promise<void>
}

export interface TokenStore {
  transaction<T>(fn: (w: TokenWriter) => Promise<T>): Promise<T>
  get(id: string): Promise<TokenRecord | undefined>
  /** Registers a token minted before tokens were recorded (at its first use); no-op if known. */
  register(t: { id: string; name: string; createdAt: Date; expiresAt: Date | null }): Promise<void>
  touch(id: string): Promise<void>
  list(): Promise<TokenRecord[]>
}

export interface StoreCounts {
  readonly packages: Readonly<Record<PackageType, number>>
  readonly revisions: number
  readonly blobs: number
  readonly bytes: number
}

export interface StatusReader {
  counts(): Promise<StoreCounts>
}

export interface PackageDetail {
  readonly id: string
  readonly type: string
  readonly name: string
  readonly summary: string
  readonly revisions: ReadonlyArray<{
    readonly revision: number
    readonly version: string
    readonly size: number
    readonly sha256: string
    readonly bases: readonly Base[]
    readonly createdAt: string
    readonly resources: ReadonlyArray<{ name: string; revision: number }>
    readonly channels: ReadonlyArray<{ channel: string; base: Base; releasedAt: string }>
    /** Slots that pointed at this revision once and no longer do; the last time they did. */
    readonly formerly: ReadonlyArray<{ channel: string; base: Base; releasedAt: string }>
  }>
}

export interface PackageDetailReader {
  detail(type: PackageType, name: string): Promise<PackageDetail | undefined>
}

/** A package as `airlock list` shows it: revisions, channels and resources. */
export interface ListedPackage {
  readonly id: string
  readonly type: string
  readonly name: string
  readonly publisher: PublisherInfo | null
  readonly summary: string
  readonly createdAt: string
  readonly updatedAt: string
  readonly revisions: ReadonlyArray<{
    readonly revision: number
    readonly version: string
    readonly size: number
    readonly sha256: string
    readonly bases: readonly Base[]
    readonly createdAt: string
    readonly resources: ReadonlyArray<{ name: string; type: string; revision: number }>
  }>
  readonly channels: ReadonlyArray<{ channel: string; base: Base; revision: number; releasedAt: string }>
  readonly resources: ReadonlyArray<{ name: string; type: string; revisions: number[] }>
}

/** One oci-image resource revision with the image reference its export carried. */
export interface ImageResource {
  readonly charmId: string
  readonly charm: string
  readonly resource: string
  readonly revision: number
  /** The export's ImageName, verbatim (upstream registry host, path, tag and/or digest). */
  readonly imageName: string
}

/** What the admin listings read (`airlock list`, `list-images`). */
export interface PackageListing {
  /** Packages of a type, by name. */
  packages(type: PackageType): Promise<ListedPackage[]>
  /** Ordered by charm name, resource name, revision; rows without an image name are left out. */
  imageResources(): Promise<ImageResource[]>
}
