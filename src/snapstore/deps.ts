// What the Snap Store routes are given (by app.ts, through the plugins); a module of its own so that
// routes depend on it and not on the plugin that registers them.
import type { CatalogView } from '../catalog/catalog-view.js'
import type { AssertionReader } from '../catalog/ports.js'
import type { ServedBytes } from '../http/metrics.js'
import type { PublicUrls } from '../http/public-urls.js'
import type { BlobStore } from '../storage/blobs/blob-store.js'

export interface SnapStoreDeps {
  readonly view: CatalogView
  readonly urls: PublicUrls
  readonly blobs: BlobStore
  readonly assertions: AssertionReader
  /** Counts download bytes (unset: metrics are off). */
  readonly served?: ServedBytes | undefined
}
