// Every digest a blob needs (sha256, sha384, sha3-384), computed in one pass as its bytes go by.
// The bytes come in shared-memory slabs so the hash thread(s) read them without a copy, leaving the
// event loop only the copying into slabs (sha3-384 alone costs about as much CPU as the other two).
// The thread runs hash-worker.js, the compiled file next to this one; where there is none (vitest
// runs the .ts sources) the built copy under dist/ is used, and failing both, hashing runs inline.
import { createHash, type Hash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'

export type Algo = 'sha256' | 'sha384' | 'sha3-384'
export type Digests = Record<Algo, string>
export const ALGOS: readonly Algo[] = ['sha256', 'sha384', 'sha3-384']

export type HashRequest =
  | { op: 'start'; id: number; algos: readonly Algo[] }
  | { op: 'data'; id: number; sab: SharedArrayBuffer; len: number }
  | { op: 'end'; id: number }
  | { op: 'drop'; id: number }

/**
 * What each hash thread computes. With 2 CPUs one thread for all three measured fastest (bench/import:
 * a second thread only adds contention); with 4 or more, sha3-384 gets a thread of its own. Whatever
 * no thread takes is hashed inline.
 */
const THREADED: readonly (readonly Algo[])[] =
  availableParallelism() >= 4 ? [['sha3-384'], ['sha256', 'sha384']] : [['sha256', 'sha384', 'sha3-384']]

/** The compiled worker file: beside this module, else (running from src/ under vitest) in dist/. */
export function hashWorkerFile(): URL | undefined {
  const candidates = [new URL('./hash-worker.js', import.meta.url)]
  if (import.meta.url.endsWith('.ts')) candidates.push(new URL('../../../dist/storage/blobs/hash-worker.js', import.meta.url))
  return candidates.find((u) => existsSync(fileURLToPath(u)))
}

type Reply = (err: Error | undefined, value: unknown) => void

/** One hash thread. Replies come back in the order messages were sent. */
class HashThread {
  private readonly worker: Worker
  private readonly waiting: Reply[] = []
  private users = 0
  failed: Error | undefined

  constructor(
    file: URL,
    readonly algos: readonly Algo[],
    onFail: () => void,
  ) {
    this.worker = new Worker(file, { name: `airlock-hash-${algos.join('+')}` })
    this.worker.unref()
    this.worker.on('message', (v: unknown) => this.waiting.shift()?.(undefined, v))
    const fail = (err: Error) => {
      if (this.failed) return
      this.failed = err
      onFail()
      for (const reply of this.waiting.splice(0)) reply(err, undefined)
    }
    this.worker.on('error', fail)
    this.worker.on('exit', (code) => fail(new Error(`hash thread exited (${code})`)))
  }

  /** Keeps the process alive while some blob is being hashed, not otherwise. */
  hold(): void {
    if (this.users++ === 0) this.worker.ref()
  }
  release(): void {
    if (--this.users === 0) this.worker.unref()
  }

  post(msg: HashRequest, reply?: Reply): void {
    if (this.failed) {
      reply?.(this.failed, undefined)
      return
    }
    if (reply) this.waiting.push(reply)
    this.worker.postMessage(msg)
  }
}

let threads: HashThread[] | undefined
let threadsUnavailable = process.env.AIRLOCK_HASH_INLINE === '1'
let nextSession = 1

function hashThreads(): HashThread[] {
  if (threadsUnavailable || THREADED.length === 0) return []
  if (!threads) {
    const file = hashWorkerFile()
    if (!file) {
      threadsUnavailable = true
      return []
    }
    try {
      threads = THREADED.map(
        (g) =>
          new HashThread(file, g, () => {
            threads = undefined
          }),
      )
    } catch {
      threadsUnavailable = true
      return []
    }
  }
  return threads
}

/** Whether blobs are hashed on worker threads (false: on the event loop). */
export function hashingThreaded(): boolean {
  return hashThreads().length > 0
}

/** The hashes of one blob, fed slab by slab: some on the hash threads, the rest inline. */
export class HashSession {
  private readonly id = nextSession++
  private readonly threads = hashThreads()
  private readonly inline: Array<[Algo, Hash]>
  private ended = false

  constructor() {
    const threaded = new Set(this.threads.flatMap((t) => t.algos))
    this.inline = ALGOS.filter((a) => !threaded.has(a)).map((a) => [a, createHash(a)])
    for (const t of this.threads) {
      t.hold()
      t.post({ op: 'start', id: this.id, algos: t.algos })
    }
  }

  /**
   * Hashes `bytes[0, len)`, a view of `sab`; `done` is called once every hash has consumed it (the
   * slab may then be reused). A failed thread answers too, so `done` always comes; digest() reports it.
   */
  update(sab: SharedArrayBuffer, bytes: Buffer, len: number, done: () => void): void {
    let left = this.threads.length
    for (const t of this.threads)
      t.post({ op: 'data', id: this.id, sab, len }, () => {
        if (--left === 0) done()
      })
    if (this.inline.length > 0) {
      const view = bytes.subarray(0, len)
      for (const [, h] of this.inline) h.update(view)
    }
    if (left === 0) done()
  }

  async digest(): Promise<Digests> {
    this.ended = true
    try {
      const parts = await Promise.all(
        this.threads.map(
          (t) =>
            new Promise<Record<string, string>>((resolve, reject) => {
              t.post({ op: 'end', id: this.id }, (err, v) => (err ? reject(err) : resolve(v as Record<string, string>)))
            }),
        ),
      )
      return Object.assign(Object.fromEntries(this.inline.map(([a, h]) => [a, h.digest('hex')])), ...parts) as Digests
    } finally {
      for (const t of this.threads) t.release()
    }
  }

  drop(): void {
    if (this.ended) return
    this.ended = true
    for (const t of this.threads) {
      t.post({ op: 'drop', id: this.id })
      t.release()
    }
  }
}
