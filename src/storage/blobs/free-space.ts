// Free space where the blobs live, for `airlock status`.
import { statfs } from 'node:fs/promises'

export interface SpaceInfo {
  readonly path: string
  readonly freeBytes: number
  readonly totalBytes: number
}

/** statfs of the blob directory (or the data dir before the first blob); undefined when neither can be read. */
export async function blobSpace(dataDir: string): Promise<SpaceInfo | undefined> {
  for (const path of [`${dataDir}/blobs`, dataDir]) {
    try {
      const s = await statfs(path)
      return { path, freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize }
    } catch {
      /* try the next */
    }
  }
  return undefined
}
