// Table types for kysely; one interface per table in migrations/.
import type { ColumnType, Generated, Kysely, Transaction } from 'kysely'
import type { Base } from '../../catalog/base.js'
import type { PublisherInfo } from '../../catalog/model.js'

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
type Json<T> = ColumnType<T, string, string>

export interface BlobsTable {
  sha256: string
  size: ColumnType<number, number, number>
  sha384: string
  sha3_384: string
  created_at: Timestamp
}

export interface PackagesTable {
  id: string
  namespace: 'charmhub' | 'snapstore'
  type: 'charm' | 'bundle' | 'snap'
  name: string
  store: ColumnType<string, string | undefined, string>
  publisher: Json<PublisherInfo | null>
  summary: ColumnType<string, string | undefined, string>
  description: ColumnType<string, string | undefined, string>
  title: ColumnType<string, string | undefined, string>
  details: Json<Record<string, unknown>>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface RevisionsTable {
  package_id: string
  revision: number
  version: ColumnType<string, string | undefined, string>
  blob_sha256: string
  platforms: Json<Base[]>
  metadata_yaml: string | null
  config_yaml: string | null
  actions_yaml: string | null
  manifest_yaml: string | null
  bundle_yaml: string | null
  readme_md: string | null
  snap_yaml: string | null
  attributes: Json<Record<string, string>>
  extra: Json<Record<string, unknown>>
  created_at: Timestamp
}

export interface ResourcesTable {
  package_id: string
  name: string
  type: 'file' | 'oci-image'
  filename: ColumnType<string, string | undefined, string>
  description: ColumnType<string, string | undefined, string>
}

export interface ResourceRevisionsTable {
  package_id: string
  name: string
  revision: number
  type: 'file' | 'oci-image'
  blob_sha256: string
  image_name: string | null
  created_at: Timestamp
}

export interface RevisionResourcesTable {
  package_id: string
  revision: number
  resource_name: string
  resource_revision: number
}

export interface ChannelReleasesTable {
  package_id: string
  track: string
  risk: string
  branch: string
  base_name: string
  base_channel: string
  architecture: string
  revision: number
  released_at: Timestamp
}

export interface ReleaseHistoryTable {
  id: Generated<string>
  package_id: string
  track: string
  risk: string
  branch: string
  base_name: string
  base_channel: string
  architecture: string
  revision: number | null
  released_at: Timestamp
}

export interface AssertionsTable {
  type: string
  primary_key: string
  revision: number
  body: Uint8Array
  headers: Json<Record<string, string>>
  created_at: Timestamp
}

export interface PackageAssertionsTable {
  package_id: string
  assertion_type: string
  primary_key: string
}

export interface AdminTokensTable {
  id: string
  name: ColumnType<string, string | undefined, string>
  created_at: Timestamp
  expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  last_used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
}

export interface AuditLogTable {
  id: Generated<string>
  at: Timestamp
  token_id: string
  token_name: ColumnType<string, string | undefined, string>
  action: string
  package_type: string | null
  package_name: string | null
  package_id: string | null
  revisions: Json<number[]>
  channels: Json<string[]>
  detail: Json<Record<string, unknown>>
}

export interface DB {
  blobs: BlobsTable
  packages: PackagesTable
  revisions: RevisionsTable
  resources: ResourcesTable
  resource_revisions: ResourceRevisionsTable
  revision_resources: RevisionResourcesTable
  channel_releases: ChannelReleasesTable
  release_history: ReleaseHistoryTable
  assertions: AssertionsTable
  package_assertions: PackageAssertionsTable
  admin_tokens: AdminTokensTable
  audit_log: AuditLogTable
}

export type Db = Kysely<DB> | Transaction<DB>
