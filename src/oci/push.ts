// Pushes one image from an archive to one repository: children and blobs first, the manifest by
// digest last (and then its tag), so a registry never holds a manifest whose blobs are missing and
// an image is only reported pushed once its manifest is in. Idempotent: HEAD before every write.
import { pipeline } from 'node:stream'
import { ArchiveError, openBlob } from './archive.js'
import { NetworkError } from './http.js'
import { RegistryError, type RegistryClient } from './registry-client.js'
import type { ArchiveManifest, Descriptor, ImageArchive } from './types.js'
import { BlobMismatch, verifyingStream } from './verify-stream.js'

export interface PushTarget {
  readonly client: RegistryClient
  readonly repository: string
  readonly tag?: string | undefined
}

/** Shared by every push of a run: which blobs are in which repository, to mount instead of upload. */
export interface PushSession {
  readonly blobHomes: Map<string, string>
  readonly concurrency: number
}

export interface PushOutcome {
  readonly status: 'pushed' | 'present'
  readonly uploaded: number
  readonly mounted: number
  readonly skipped: number
  readonly bytes: number
}

/** Every blob and child manifest the image needs, checked against the archive before any write. */
export function imageBlobs(archive: ImageArchive, m: ArchiveManifest): Descriptor[] {
  if (m.missingChildren.length) {
    throw new ArchiveError(
      `the archive holds only part of this multi-platform image: manifest ${m.missingChildren[0]} is missing (copy it with skopeo copy --all)`,
    )
  }
  const out = new Map<string, Descriptor>()
  for (const c of m.children) for (const b of imageBlobs(archive, c)) out.set(b.digest, b)
  for (const b of m.blobs) {
    const loc = archive.locate(b.digest)
    const damaged = archive.problem ? ` (the archive is damaged: ${archive.problem})` : ''
    if (!loc) throw new ArchiveError(`blob ${b.digest} is not in the archive${damaged}`)
    if (loc.size !== b.size) throw new ArchiveError(`blob ${loc.member} is ${loc.size} bytes, the manifest says ${b.size}`)
    out.set(b.digest, b)
  }
  return [...out.values()]
}

export function totalBytes(blobs: readonly Descriptor[]): number {
  return blobs.reduce((n, b) => n + b.size, 0)
}

async function pool<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  let failure: unknown
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]!
      try {
        await work(item)
      } catch (err) {
        failure ??= err
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker))
  if (failure !== undefined) throw failure
}

async function putTree(target: PushTarget, m: ArchiveManifest): Promise<void> {
  for (const c of m.children) {
    if (!(await target.client.manifestDigest(target.repository, c.digest))) await putTree(target, c)
  }
  const got = await target.client.putManifest(target.repository, m.digest, m.mediaType, m.bytes)
  if (got && got !== m.digest) throw new RegistryError(`the registry stored manifest ${m.digest} as ${got}`)
}

export async function pushImage(
  archive: ImageArchive,
  m: ArchiveManifest,
  target: PushTarget,
  session: PushSession,
  onBytes: (n: number) => void = () => {},
): Promise<PushOutcome> {
  const { client, repository: repo, tag } = target
  const blobs = imageBlobs(archive, m)
  const outcome = { uploaded: 0, mounted: 0, skipped: 0, bytes: 0 }
  if (await client.manifestDigest(repo, m.digest)) {
    onBytes(totalBytes(blobs))
    if (!tag || (await client.manifestDigest(repo, tag)) === m.digest) return { status: 'present', ...outcome }
    await client.putManifest(repo, tag, m.mediaType, m.bytes)
    return { status: 'pushed', ...outcome }
  }
  await pool(blobs, session.concurrency, async (b) => {
    if (await client.hasBlob(repo, b.digest)) {
      outcome.skipped++
      onBytes(b.size)
    } else {
      const home = session.blobHomes.get(b.digest)
      if (home && home !== repo && (await client.mountBlob(repo, b.digest, home))) {
        outcome.mounted++
        onBytes(b.size)
      } else {
        const loc = archive.locate(b.digest)!
        let sent = 0
        try {
          await client.uploadBlob(repo, b.digest, b.size, () => {
            // A retried upload (token expired) starts again: take back what the last try counted.
            onBytes(-sent)
            sent = 0
            const checked = verifyingStream(b, (n) => {
              sent += n
              onBytes(n)
            })
            // pipeline, not pipe: a read error must abort the upload, not leave it waiting.
            pipeline(openBlob(archive, loc), checked, () => {})
            return checked
          })
        } catch (err) {
          if (err instanceof BlobMismatch) throw new ArchiveError(`blob ${loc.member} ${err.message}; the upload was aborted`)
          if (err instanceof RegistryError || err instanceof NetworkError) throw err
          // Anything else came from reading the archive file (the transport wraps network errors).
          throw new ArchiveError(`reading blob ${loc.member}: ${(err as Error).message}`)
        }
        outcome.uploaded++
        outcome.bytes += b.size
      }
    }
    session.blobHomes.set(b.digest, repo)
  })
  await putTree(target, m)
  if (tag) await client.putManifest(repo, tag, m.mediaType, m.bytes)
  return { status: 'pushed', ...outcome }
}
