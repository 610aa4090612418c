// The blob store of a data dir: the content store over the filesystem driver rooted at the data dir
// (blobs under <data-dir>/blobs, writes in progress under <data-dir>/tmp, as in earlier releases).
import { join } from 'node:path'
import type { BlobStore } from './blob-store.js'
import { createBlobStore } from './content-store.js'
import { createFsDriver } from './fs-driver.js'

export function createLocalBlobStore(dataDir: string): BlobStore {
  return createBlobStore(createFsDriver(dataDir), { scratchDir: join(dataDir, 'tmp') })
}
