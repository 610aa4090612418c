// A download thread: started when an export starts and kept for its whole run, it takes one download
// at a time from the main thread, fetches it (http-get.ts), writes it to its place, hashes it and
// checks it (download.ts), so the main thread only hands out work. Progress is reported in steps.
import { parentPort } from 'node:worker_threads'
import { download, fileTarget, type DownloadTarget, type Expected } from './download.js'
import { ExportError } from './errors.js'
import type { HttpOptions } from './http.js'
import { placedTarget } from './placed-target.js'
import type { Placement } from './stored-tar-gz.js'

export interface DownloadJob {
  readonly id: number
  readonly url: string
  readonly expected: Expected
  readonly algorithms: readonly string[]
  readonly http: HttpOptions
  /** A file of its own, created or truncated; or, with `placement`, an export tarball to write into. */
  readonly path: string
  readonly placement?: Placement | undefined
}

export type ThreadMessage =
  | { readonly id: number; readonly bytes: number }
  | { readonly id: number; readonly digests: Readonly<Record<string, string>>; readonly crcs?: Uint32Array | undefined }
  /** `final`: an ExportError, the download's own one-line message; otherwise a fault. */
  | { readonly id: number; readonly error: string; readonly final: boolean }

/** Progress is sent when this many bytes have come in since the last report. */
const REPORT_BYTES = 4 << 20

async function run(job: DownloadJob, post: (m: ThreadMessage) => void): Promise<void> {
  const placed = job.placement ? placedTarget(job.path, job.placement, job.algorithms) : undefined
  const target: DownloadTarget = placed ?? fileTarget(job.path, job.algorithms)
  let unreported = 0
  const { digests } = await download(job.url, target, job.expected, job.http, (n) => {
    unreported += n
    if (unreported >= REPORT_BYTES || unreported < 0) {
      post({ id: job.id, bytes: unreported })
      unreported = 0
    }
  })
  if (unreported !== 0) post({ id: job.id, bytes: unreported })
  const hex: Record<string, string> = {}
  for (const [name, value] of Object.entries(digests)) hex[name] = value
  post({ id: job.id, digests: hex, crcs: placed?.crcs() })
}

const port = parentPort
if (port) {
  const post = (m: ThreadMessage) => port.postMessage(m)
  port.on('message', (job: DownloadJob) => {
    run(job, post).catch((err: unknown) =>
      post({ id: job.id, error: err instanceof Error ? err.message : String(err), final: err instanceof ExportError }),
    )
  })
}
