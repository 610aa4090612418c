// What the Charmhub routes are given (by app.ts, through the plugin); a module of its own so that
// routes depend on it and not on the plugin that registers them.
import type { CatalogView } from '../catalog/catalog-view.js'
import type { RegistryConfig } from '../catalog/oci-image.js'
import type { ServedBytes } from '../http/metrics.js'
import type { PublicUrls } from '../http/public-urls.js'
import type { BlobStore } from '../storage/blobs/blob-store.js'

export interface CharmhubDeps {
  readonly view: CatalogView
  readonly urls: PublicUrls
  readonly blobs: BlobStore
  /** The site registry oci-image resources point at (unset: serve the exported blobs unchanged). */
  readonly registry: RegistryConfig
  /** Counts download bytes (unset: metrics are off). */
  readonly served?: ServedBytes | undefined
}
