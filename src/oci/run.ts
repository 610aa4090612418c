// One `push-images` run: open the archives, match them to the wanted images, push each to its
// registry, and account for every image in exactly one list. An image is "pushed" only once its
// manifest (and tag) is in; a failure never lands there, whatever blobs went up before it.
import { ArchiveError, openImageArchive } from './archive.js'
import { createTransport, NetworkError } from './http.js'
import { planPush, type WantedImage } from './plan.js'
import { imageBlobs, pushImage, totalBytes, type PushSession } from './push.js'
import { RegistryClient, RegistryError } from './registry-client.js'
import type { ImageArchive } from './types.js'

export interface RunOptions {
  readonly insecure: boolean
  readonly ca?: Buffer | undefined
  readonly username?: string | undefined
  readonly password?: string | undefined
  /** Blobs uploaded at once per image (default 3). */
  readonly concurrency?: number
  readonly progress?: (label: string) => { update: (done: number, total: number) => void; stop: () => void }
}

export interface RunReport {
  readonly pushed: Array<{ reference: string; archive: string; uploaded: number; mounted: number; skipped: number; bytes: number }>
  readonly present: Array<{ reference: string; archive: string }>
  readonly missing: Array<{ reference: string; original: string; resources: WantedImage['resources'] }>
  readonly notNamed: Array<{ archive: string; digest: string; names: readonly string[] }>
  readonly failed: Array<{ reference: string | null; archive: string | null; error: string }>
}

export async function pushArchives(wanted: readonly WantedImage[], paths: readonly string[], opts: RunOptions): Promise<RunReport> {
  const report: RunReport = { pushed: [], present: [], missing: [], notNamed: [], failed: [] }
  const archives: ImageArchive[] = []
  for (const path of paths) {
    try {
      archives.push(await openImageArchive(path))
    } catch (err) {
      if (!(err instanceof ArchiveError)) throw err
      report.failed.push({ reference: null, archive: path, error: `${path}: ${err.message}` })
    }
  }
  const plan = planPush(wanted, archives)
  for (const w of plan.missing) report.missing.push({ reference: w.target, original: w.original, resources: w.resources })
  report.notNamed.push(...plan.notNamed)
  for (const b of plan.broken) report.failed.push({ reference: b.wanted.target, archive: b.archive, error: `${b.archive}: ${b.error}` })
  for (const u of plan.unreadable)
    report.failed.push({
      reference: null,
      archive: u.archive,
      error: `${u.archive}${u.names.length ? ` (${u.names.join(', ')})` : ''}: ${u.error}`,
    })

  const transport = createTransport({ ca: opts.ca })
  const clients = new Map<string, RegistryClient>()
  const session: PushSession = { blobHomes: new Map(), concurrency: opts.concurrency ?? 3 }
  let fatal: string | undefined
  try {
    for (const job of plan.push) {
      const { wanted: w, archive } = job
      if (fatal) {
        report.failed.push({ reference: w.target, archive: archive.path, error: `not attempted: ${fatal}` })
        continue
      }
      let client = clients.get(w.registry)
      if (!client)
        clients.set(
          w.registry,
          (client = new RegistryClient(
            { host: w.registry, insecure: opts.insecure, username: opts.username, password: opts.password },
            transport,
          )),
        )
      // The whole reference is too long for a progress line: last path component and short digest.
      const bar = opts.progress?.(`${w.repository.split('/').pop()}${w.digest ? `@${w.digest.slice(7, 19)}` : `:${w.tag}`}`)
      try {
        const total = totalBytes(imageBlobs(archive, job.manifest))
        let done = 0
        const out = await pushImage(archive, job.manifest, { client, repository: w.repository, tag: w.tag ?? undefined }, session, (n) => {
          done += n
          bar?.update(done, total)
        })
        bar?.stop()
        if (out.status === 'present') report.present.push({ reference: w.target, archive: archive.path })
        else
          report.pushed.push({
            reference: w.target,
            archive: archive.path,
            uploaded: out.uploaded,
            mounted: out.mounted,
            skipped: out.skipped,
            bytes: out.bytes,
          })
      } catch (err) {
        bar?.stop()
        if (!(err instanceof ArchiveError || err instanceof RegistryError || err instanceof NetworkError)) throw err
        report.failed.push({ reference: w.target, archive: archive.path, error: `${w.target} (from ${archive.path}): ${err.message}` })
        // Unreachable registry or refused credentials: every other image would fail the same way.
        if (err instanceof NetworkError || (err instanceof RegistryError && err.fatal)) fatal = err.message
      }
    }
  } finally {
    transport.close()
  }
  return report
}
