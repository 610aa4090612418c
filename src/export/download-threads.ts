// The main thread's side of the download threads (download-thread.ts): a fixed set started with the
// export, each running one download at a time. The caller never asks for more at once than there are
// threads (pool.ts runs `concurrency` tasks, and there are `concurrency` threads).
import { Worker } from 'node:worker_threads'
import type { Expected } from './download.js'
import type { DownloadJob, ThreadMessage } from './download-thread.js'
import { ExportError } from './errors.js'
import type { HttpOptions } from './http.js'
import type { Placement } from './stored-tar-gz.js'

export interface ThreadDownload {
  readonly url: string
  readonly expected: Expected
  readonly algorithms: readonly string[]
  readonly path: string
  readonly placement?: Placement | undefined
}

export interface ThreadResult {
  readonly digests: Readonly<Record<string, string>>
  readonly crcs?: Uint32Array | undefined
}

interface Running {
  readonly onBytes: (n: number) => void
  readonly ok: (r: ThreadResult) => void
  readonly fail: (err: Error) => void
}

// Compiled next to this module (dist/export/), so the build ships it with everything else.
const SCRIPT = new URL('./download-thread.js', import.meta.url)

export class DownloadThreads {
  private readonly idle: Worker[] = []
  private readonly running = new Map<number, Running>()
  private nextId = 0
  private closed = false

  private constructor(
    private readonly workers: readonly Worker[],
    private readonly http: HttpOptions,
  ) {
    for (const w of workers) {
      this.idle.push(w)
      w.on('message', (m: ThreadMessage) => this.onMessage(w, m))
      w.on('error', (err) => this.onFault(err))
      w.on('exit', (code) => {
        if (!this.closed) this.onFault(new Error(`a download thread exited (${code})`))
      })
    }
  }

  static start(count: number, http: HttpOptions): DownloadThreads {
    const workers = Array.from({ length: count }, () => new Worker(SCRIPT, { name: 'airlock-export-download' }))
    return new DownloadThreads(workers, http)
  }

  /** Downloads, verifies and writes one blob on an idle thread. */
  run(job: ThreadDownload, onBytes: (n: number) => void): Promise<ThreadResult> {
    const worker = this.idle.pop()
    if (!worker) return Promise.reject(new Error('more downloads at once than download threads'))
    const id = this.nextId++
    return new Promise((ok, fail) => {
      this.running.set(id, { onBytes, ok, fail })
      const message: DownloadJob = { id, http: this.http, ...job }
      worker.postMessage(message)
    })
  }

  private onMessage(worker: Worker, m: ThreadMessage): void {
    const r = this.running.get(m.id)
    if (!r) return
    if ('bytes' in m) {
      r.onBytes(m.bytes)
      return
    }
    this.running.delete(m.id)
    this.idle.push(worker)
    if ('error' in m) r.fail(m.final ? new ExportError(m.error) : new Error(m.error))
    else r.ok({ digests: m.digests, crcs: m.crcs })
  }

  private onFault(err: Error): void {
    for (const r of this.running.values()) r.fail(err)
    this.running.clear()
  }

  async close(): Promise<void> {
    this.closed = true
    await Promise.all(this.workers.map((w) => w.terminate()))
  }
}
