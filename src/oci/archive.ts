// An image archive on disk, as `skopeo copy ... oci-archive:X.tar` (OCI image layout) or `docker save`
// writes it: the manifests it holds, and where each blob sits in the file so it can be streamed.
import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import { ArchiveError, indexTar, type TarIndex } from './tar-index.js'
import { readOciLayout } from './oci-layout.js'
import { readDockerSave } from './docker-save.js'
import type { BlobLocation, ImageArchive } from './types.js'

export * from './types.js'

/** Streams a byte range of the archive; the caller verifies the digest. */
export function openBlob(archive: ImageArchive, loc: BlobLocation): Readable {
  if (loc.size === 0) return Readable.from([])
  return createReadStream(archive.path, { start: loc.offset, end: loc.offset + loc.size - 1, highWaterMark: 1 << 20 })
}

/** Opens and indexes an archive; throws ArchiveError (the message says what is wrong) if unusable. */
export async function openImageArchive(path: string): Promise<ImageArchive> {
  let index: TarIndex
  try {
    index = await indexTar(path)
  } catch (err) {
    if (err instanceof ArchiveError) throw err
    throw new ArchiveError(`cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
  }
  // Docker 25+ writes both; the OCI layout keeps the real manifests, so it wins.
  if (index.members.has('oci-layout') && index.members.has('index.json')) return readOciLayout(path, index)
  if (index.members.has('manifest.json')) return readDockerSave(path, index)
  throw new ArchiveError(
    index.problem
      ? `damaged archive: ${index.problem}`
      : 'neither an OCI image layout (oci-layout, index.json) nor a docker save archive (manifest.json)',
  )
}

export { ArchiveError }
