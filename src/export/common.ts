// What every export command shares: its options, what it reports, and the download step.
import type { HttpOptions } from './http.js'
import { algorithmsFor, type Expected } from './download.js'
import { DownloadThreads } from './download-threads.js'
import { about } from './errors.js'
import { ExportFile, type Member } from './export-file.js'
import type { Placement } from './stored-tar-gz.js'
import { runLimited } from './pool.js'

export interface Progress {
  /** Bytes about to be downloaded, once known. */
  start(totalBytes: number): void
  /** Bytes received (negative when a download restarts from its first byte). */
  add(n: number): void
  /** A line for the operator, as store-admin prints them ("Downloading pg revision 20 (edge)"). */
  say(line: string): void
  stop(): void
}

export const SILENT: Progress = { start() {}, add() {}, say() {}, stop() {} }

export interface ExportOptions {
  readonly from: string
  readonly exportDir: string
  readonly concurrency: number
  readonly http: HttpOptions
  readonly progress: Progress
  readonly now?: Date
  /** Started with the export (startDownloads), so they are up by the time the first download is. */
  readonly threads?: DownloadThreads
}

/** `opts` with its download threads started; close them with stopDownloads. */
export function startDownloads<T extends ExportOptions>(opts: T): T {
  return opts.threads ? opts : { ...opts, threads: DownloadThreads.start(opts.concurrency, opts.http) }
}

export async function stopDownloads(opts: ExportOptions): Promise<void> {
  await opts.threads?.close()
}

export interface ExportedPackage {
  readonly type: 'charm' | 'bundle' | 'snap'
  readonly name: string
  readonly revision: number
  readonly channel?: string | undefined
  readonly base?: string | undefined
  readonly architecture?: string | undefined
  readonly resources?: ReadonlyArray<{ name: string; type: string; revision: number }>
}

export interface ExportResult {
  readonly files: readonly string[]
  readonly packages: readonly ExportedPackage[]
}

export interface Fetch {
  /** Who the bytes belong to, for errors ("charm pg revision 20"). */
  readonly label: string
  readonly url: string
  /** A staged file of its own; or, with `placement`, the export tarball the blob goes into. */
  readonly dest: string
  readonly placement?: Placement
  readonly expected: Expected
  /** Called with the segment CRCs once the blob is in and verified (placed blobs only). */
  readonly done?: (crcs: Uint32Array) => void
}

/** Downloads everything, a few at a time on the download threads, each verified; the first failure names its package. */
export async function fetchAll(list: readonly Fetch[], opts: ExportOptions): Promise<void> {
  if (list.length === 0) return
  const own = opts.threads ? undefined : DownloadThreads.start(Math.min(opts.concurrency, list.length), opts.http)
  const threads = (opts.threads ?? own)!
  try {
    opts.progress.start(list.reduce((n, f) => n + f.expected.size, 0))
    await runLimited(list, opts.concurrency, async (f) => {
      try {
        const { crcs } = await threads.run(
          { url: f.url, expected: f.expected, algorithms: algorithmsFor(f.expected), path: f.dest, placement: f.placement },
          (n) => opts.progress.add(n),
        )
        if (f.done) f.done(crcs ?? new Uint32Array(0))
      } catch (err) {
        throw about(f.label, err)
      }
    })
  } finally {
    await own?.close()
  }
}

/** A blob of an export tarball: its member in the layout, and where it comes from. */
export interface BlobFetch extends Omit<Fetch, 'dest' | 'placement' | 'done'> {
  readonly blob: number
}

/** One export tarball: its layout, and the blobs that fill it. */
export interface ExportFileSpec {
  readonly path: string
  readonly members: readonly Member[]
  readonly blobs: readonly BlobFetch[]
}

/**
 * Writes the tarballs `specs` describe, each blob downloaded straight into its place and verified,
 * all of them sharing the download threads; the files are whole only when this resolves.
 */
export async function writeExportFiles(specs: readonly ExportFileSpec[], opts: ExportOptions): Promise<void> {
  const files: ExportFile[] = []
  try {
    const fetches: Fetch[] = []
    for (const spec of specs) {
      const file = ExportFile.create(spec.path, spec.members, opts.now ?? new Date())
      files.push(file)
      for (const b of spec.blobs)
        fetches.push({ ...b, dest: spec.path, placement: file.placement(b.blob), done: (crcs) => file.blobDone(b.blob, crcs) })
    }
    await fetchAll(fetches, opts)
    for (const f of files) f.finish()
  } finally {
    for (const f of files) f.close()
  }
}

/** writeExportFiles for one tarball. */
export function writeExportFile(path: string, members: readonly Member[], blobs: readonly BlobFetch[], opts: ExportOptions): Promise<void> {
  return writeExportFiles([{ path, members, blobs }], opts)
}
