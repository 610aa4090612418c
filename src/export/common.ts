// What every export command shares: its options, what it reports, and the download step.
import type { HttpOptions } from './http.js'
import { algorithmsFor, download, fileTarget, type DownloadTarget, type Expected } from './download.js'
import { about } from './errors.js'
import { ExportFile, type Member } from './export-file.js'
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
  /** A staged file of its own; or `target`, its place in an export tarball. */
  readonly dest?: string
  readonly target?: (algorithms: readonly string[]) => DownloadTarget
  readonly expected: Expected
}

/** Downloads everything, a few at a time, each verified; the first failure names its package. */
export async function fetchAll(list: readonly Fetch[], opts: ExportOptions): Promise<void> {
  opts.progress.start(list.reduce((n, f) => n + f.expected.size, 0))
  await runLimited(list, opts.concurrency, async (f) => {
    try {
      const algorithms = algorithmsFor(f.expected)
      const target = f.target ? f.target(algorithms) : fileTarget(f.dest!, algorithms)
      await download(f.url, target, f.expected, opts.http, (n) => opts.progress.add(n))
    } catch (err) {
      throw about(f.label, err)
    }
  })
}

/** A blob of an export tarball: its member in the layout, and where it comes from. */
export interface BlobFetch extends Omit<Fetch, 'dest' | 'target'> {
  readonly blob: number
}

/**
 * Writes the tarball `members` describe at `path`, each blob downloaded straight into its place
 * and verified; the file is whole only when this resolves.
 */
export async function writeExportFile(
  path: string,
  members: readonly Member[],
  blobs: readonly BlobFetch[],
  opts: ExportOptions,
): Promise<void> {
  const file = ExportFile.create(path, members, opts.now ?? new Date())
  try {
    await fetchAll(
      blobs.map((b) => ({ ...b, target: (algorithms: readonly string[]) => file.target(b.blob, algorithms) })),
      opts,
    )
    file.finish()
  } finally {
    file.close()
  }
}
