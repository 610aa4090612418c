// What the admin routes are given (by app.ts, through the plugin; storage comes wired through catalog
// ports by src/operations-deps.ts); a module of its own so that routes depend on it and not on the
// plugin that registers them.
import type { RootSummary } from '../assertions/root-summary.js'
import type { RegistryConfig } from '../catalog/oci-image.js'
import type {
  AuditReader,
  AuditWriter,
  OperationsStore,
  PackageDetailReader,
  PackageListing,
  StoreCounts,
  TokenStore,
} from '../catalog/operations-ports.js'
import type { GcService } from '../gc/service.js'
import type { ImportService } from '../import/import-service.js'
import type { SpaceInfo } from '../storage/blobs/free-space.js'

/** What the operations routes (release, close, remove, tokens, audit, status, list NAME) use. */
export interface OperationsDeps {
  readonly store: OperationsStore
  readonly tokens: TokenStore
  readonly audit: AuditReader & { writer: AuditWriter }
  readonly details: PackageDetailReader
  readonly listing: PackageListing
  /** Reloads the read model for these packages (as imports do) before the answer goes out. */
  readonly onCommitted: (packageIds: string[]) => Promise<void>
  readonly status: {
    readonly version: string
    readonly databaseKind: string
    ping(): Promise<void>
    counts(): Promise<StoreCounts>
    space(): Promise<SpaceInfo | undefined>
    readonly trustedRoots: readonly RootSummary[]
    readonly registryDomain: string | undefined
  }
}
export interface AdminDeps {
  readonly signingKey: Uint8Array
  readonly imports: ImportService
  readonly gc: GcService
  readonly uploadMaxBytes: number
  readonly registry: RegistryConfig
  readonly operations: OperationsDeps
  /** Rejects when the database does not answer: writes are refused up front, before an upload streams in (the pool gives up connecting after 5 s too). */
  readonly ping?: () => Promise<void>
  /** Whether an error means the database is not answering (answered 503 with Retry-After). */
  readonly isUnavailable?: (err: unknown) => boolean
}
