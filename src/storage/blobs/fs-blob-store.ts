// Filesystem blob store. On-disk layout:
//   <data-dir>/blobs/sha256/<first two hex>/<sha256 hex>   immutable, content-addressed
//   <data-dir>/tmp/blob-<random>                          writes in progress (same filesystem, for rename)
//
// Write path (bench/import measures it): incoming chunks are copied into 256 KiB slabs of shared
// memory; each full slab goes to the temp file in one positioned write and, at the same time, to the
// hash thread(s), so the event loop only copies bytes (hashing 1 GiB takes about 4 s of CPU, mostly
// sha3-384). A writer holds at most SLABS_PER_WRITER slabs, which bounds its memory (4 MiB) and is
// its backpressure. Were worker threads unavailable, it hashes on the event loop instead.
import { createHash, randomBytes, type Hash } from 'node:crypto'
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import { Writable, type Readable } from 'node:stream'
import { Worker } from 'node:worker_threads'
import type { BlobFile, BlobStore, BlobWriter, CommittedBlob } from './blob-store.js'
import { OpenFiles } from './open-files.js'
import { crashPoint } from '../../crash-points.js'

const SHA256_HEX = /^[0-9a-f]{64}$/

type Algo = 'sha256' | 'sha384' | 'sha3-384'
type Digests = Record<Algo, string>
const ALGOS: readonly Algo[] = ['sha256', 'sha384', 'sha3-384']
/**
 * What each hash thread computes. With 2 CPUs one thread for all three measured fastest (bench/import:
 * a second thread only adds contention); with 4 or more, sha3-384 (the slowest, about as costly as
 * the other two together) gets a thread of its own. Whatever no thread takes is hashed inline.
 */
const THREADED: readonly (readonly Algo[])[] = availableParallelism() >= 4 ? [['sha3-384'], ['sha256', 'sha384']] : [['sha256', 'sha384', 'sha3-384']]
/** Bytes per file write and per message to the hash threads. */
const SLAB_BYTES = 256 << 10
/** A writer's slabs, whether being filled, written or hashed: its memory bound and backpressure. */
const SLABS_PER_WRITER = 16
/** Idle slabs kept for the next writer. */
const SPARE_SLABS = 16

export class FsBlobStore implements BlobStore {
  readonly root: string
  readonly tmp: string

  /** Up to this many downloaded blobs' files stay open when no download holds them. */
  private readonly openFiles = new OpenFiles(64)

  constructor(dataDir: string) {
    this.root = join(dataDir, 'blobs')
    this.tmp = join(dataDir, 'tmp')
  }

  path(sha256: string): string {
    // The digest is the only input that reaches the filesystem, and it is checked to be hex.
    if (!SHA256_HEX.test(sha256)) throw Object.assign(new Error(`not a sha256 digest: ${sha256}`), { code: 'ENOENT' })
    return join(this.root, 'sha256', sha256.slice(0, 2), sha256)
  }

  async stat(sha256: string): Promise<{ size: number } | undefined> {
    if (!SHA256_HEX.test(sha256)) return undefined
    try { return { size: (await stat(this.path(sha256))).size } } catch { return undefined }
  }

  async open(sha256: string): Promise<{ stream: Readable }> {
    const fh = await open(this.path(sha256), 'r')
    return { stream: fh.createReadStream() }
  }

  async openFile(sha256: string): Promise<BlobFile> {
    return this.openFiles.acquire(sha256, this.path(sha256))
  }

  closeIdle(): Promise<void> {
    return this.openFiles.closeIdle()
  }

  async create(): Promise<BlobWriter> {
    await mkdir(this.tmp, { recursive: true })
    const tmpPath = join(this.tmp, `blob-${randomBytes(12).toString('hex')}`)
    const fh = await open(tmpPath, 'wx', 0o644)
    return new FsBlobWriter(fh, tmpPath, (sha) => this.path(sha))
  }

  async delete(sha256: string): Promise<void> {
    if (!SHA256_HEX.test(sha256)) return
    await this.openFiles.forget(sha256)
    await rm(this.path(sha256), { force: true })
  }

  async *list(): AsyncIterable<{ sha256: string; size: number }> {
    const top = join(this.root, 'sha256')
    const dirs = await readdir(top).catch(() => [] as string[])
    for (const d of dirs) {
      if (!/^[0-9a-f]{2}$/.test(d)) continue
      for (const name of await readdir(join(top, d)).catch(() => [] as string[])) {
        if (!SHA256_HEX.test(name) || !name.startsWith(d)) continue
        const st = await stat(join(top, d, name)).catch(() => undefined)
        if (st?.isFile()) yield { sha256: name, size: st.size }
      }
    }
  }

  async sweepTemp(olderThanMs: number, dryRun = false): Promise<{ files: number; bytes: number }> {
    const out = { files: 0, bytes: 0 }
    const now = Date.now()
    for (const name of await readdir(this.tmp).catch(() => [] as string[])) {
      if (!name.startsWith('blob-')) continue
      const p = join(this.tmp, name)
      const st = await stat(p).catch(() => undefined)
      if (!st?.isFile() || now - st.mtimeMs < olderThanMs) continue
      if (!dryRun) await rm(p, { force: true })
      out.files++
      out.bytes += st.size
    }
    return out
  }
}

// ---- slabs --------------------------------------------------------------------------------------

interface Slab {
  readonly sab: SharedArrayBuffer
  readonly bytes: Buffer
  /** Outstanding users (the file write and each hash thread); back to its writer at 0. */
  refs: number
}

const spare: Slab[] = []

function newSlab(): Slab {
  const reused = spare.pop()
  if (reused) return reused
  const sab = new SharedArrayBuffer(SLAB_BYTES)
  return { sab, bytes: Buffer.from(sab), refs: 0 }
}

// ---- hashing ------------------------------------------------------------------------------------

// Plain CommonJS run by `new Worker(..., { eval: true })`, so there is no extra file to ship.
// Messages are handled in order, so a session's `end` follows all of its `data`.
const HASH_THREAD_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const sessions = new Map()
parentPort.on('message', (m) => {
  if (m.op === 'data') {
    const hs = sessions.get(m.id)
    if (hs) { const view = new Uint8Array(m.sab, 0, m.len); for (const h of hs) h[1].update(view) }
    parentPort.postMessage(0)
  } else if (m.op === 'start') {
    sessions.set(m.id, m.algos.map((a) => [a, createHash(a)]))
  } else if (m.op === 'end') {
    const hs = sessions.get(m.id) || []
    sessions.delete(m.id)
    parentPort.postMessage(Object.fromEntries(hs.map((h) => [h[0], h[1].digest('hex')])))
  } else if (m.op === 'drop') {
    sessions.delete(m.id)
  }
})
`

type Reply = (err: Error | undefined, value: unknown) => void

/** One hash thread. Replies come back in the order messages were sent. */
class HashThread {
  private readonly worker: Worker
  private readonly waiting: Reply[] = []
  private users = 0
  failed: Error | undefined

  constructor(readonly algos: readonly Algo[], onFail: () => void) {
    this.worker = new Worker(HASH_THREAD_SOURCE, { eval: true, name: `airlock-hash-${algos.join('+')}` })
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
  hold(): void { if (this.users++ === 0) this.worker.ref() }
  release(): void { if (--this.users === 0) this.worker.unref() }

  post(msg: object, reply?: Reply): void {
    if (this.failed) { reply?.(this.failed, undefined); return }
    if (reply) this.waiting.push(reply)
    this.worker.postMessage(msg)
  }
}

let threads: HashThread[] | undefined
let threadsUnavailable = false
let nextSession = 1

function hashThreads(): HashThread[] {
  if (threadsUnavailable || THREADED.length === 0) return []
  if (!threads) {
    try {
      threads = THREADED.map((g) => new HashThread(g, () => { threads = undefined }))
    } catch {
      threadsUnavailable = true
      return []
    }
  }
  return threads
}

/** The hashes of one blob, fed slab by slab: some on the hash threads, the rest inline. */
class HashSession {
  private readonly id = nextSession++
  private readonly threads = hashThreads()
  private readonly inline: Array<[Algo, Hash]>
  private ended = false

  constructor() {
    const threaded = new Set(this.threads.flatMap((t) => t.algos))
    this.inline = ALGOS.filter((a) => !threaded.has(a)).map((a) => [a, createHash(a)])
    for (const t of this.threads) { t.hold(); t.post({ op: 'start', id: this.id, algos: t.algos }) }
  }

  /** `done` is called once every hash has consumed `slab.bytes[0, len)`. */
  update(slab: Slab, len: number, done: () => void): void {
    let left = this.threads.length
    // A failed thread answers too (with its error): the slab comes back either way, and digest()
    // reports the failure.
    for (const t of this.threads) t.post({ op: 'data', id: this.id, sab: slab.sab, len }, () => { if (--left === 0) done() })
    if (this.inline.length > 0) {
      const view = slab.bytes.subarray(0, len)
      for (const [, h] of this.inline) h.update(view)
    }
    if (left === 0) done()
  }

  async digest(): Promise<Digests> {
    this.ended = true
    try {
      const parts = await Promise.all(this.threads.map((t) => new Promise<Record<string, string>>((resolve, reject) => {
        t.post({ op: 'end', id: this.id }, (err, v) => (err ? reject(err) : resolve(v as Record<string, string>)))
      })))
      return Object.assign(Object.fromEntries(this.inline.map(([a, h]) => [a, h.digest('hex')])), ...parts) as Digests
    } finally {
      for (const t of this.threads) t.release()
    }
  }

  drop(): void {
    if (this.ended) return
    this.ended = true
    for (const t of this.threads) { t.post({ op: 'drop', id: this.id }); t.release() }
  }
}

// ---- the writer ---------------------------------------------------------------------------------

class FsBlobWriter extends Writable implements BlobWriter {
  private readonly hasher: HashSession
  private readonly free: Slab[] = []
  private owned = 0
  private slabWaiter: (() => void) | undefined
  private current: Slab | undefined
  private fill = 0
  private position = 0
  /** File writes, chained so they complete in order; rejects with the first write error. */
  private writes: Promise<void> = Promise.resolve()
  private writeError: Error | undefined
  private written = 0
  private done = false

  constructor(private readonly fh: FileHandle, private readonly tmpPath: string, private readonly finalPath: (sha: string) => string) {
    super({ highWaterMark: 1 << 20 })
    this.hasher = new HashSession()
  }

  get bytesWritten(): number { return this.written }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.take(chunk).then(() => cb(), cb)
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    (async () => { for (const c of chunks) await this.take(c.chunk) })().then(() => cb(), cb)
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.flush().then(() => this.writes).then(() => cb(), cb)
  }

  private async take(chunk: Buffer): Promise<void> {
    if (this.writeError) throw this.writeError
    crashPoint('blob-write')
    this.written += chunk.length
    let off = 0
    while (off < chunk.length) {
      if (!this.current) { this.current = await this.slab(); this.fill = 0 }
      const n = chunk.copy(this.current.bytes, this.fill, off)
      this.fill += n
      off += n
      if (this.fill === SLAB_BYTES) await this.flush()
    }
  }

  /** A free slab of this writer's, waiting for one to come back when all are in flight. */
  private async slab(): Promise<Slab> {
    for (;;) {
      const s = this.free.pop()
      if (s) return s
      if (this.owned < SLABS_PER_WRITER) { this.owned++; return newSlab() }
      await new Promise<void>((resolve) => { this.slabWaiter = resolve })
    }
  }

  private giveBack(s: Slab): void {
    if (--s.refs > 0) return
    if (this.done) { this.owned--; if (spare.length < SPARE_SLABS) spare.push(s) } else this.free.push(s)
    const w = this.slabWaiter
    this.slabWaiter = undefined
    w?.()
  }

  /** Sends the current slab to the file and to the hashes. */
  private async flush(): Promise<void> {
    const s = this.current
    const len = this.fill
    this.current = undefined
    this.fill = 0
    if (!s) return
    if (len === 0) { s.refs = 1; this.giveBack(s); return }
    s.refs = 2
    const at = this.position
    this.position += len
    this.writes = this.writes.then(async () => {
      try {
        if (this.writeError) return
        for (let o = 0; o < len;) o += (await this.fh.write(s.bytes, o, len - o, at + o)).bytesWritten
      } catch (err) {
        this.writeError ??= err as Error
      } finally { this.giveBack(s) }
    })
    this.hasher.update(s, len, () => this.giveBack(s))
    if (this.writeError) throw this.writeError
  }

  async commit(expected?: { size?: number; sha256?: string }, beforeVisible?: (sha256: string) => Promise<void>): Promise<CommittedBlob> {
    if (this.done) throw new Error('blob writer already finished')
    try {
      if (!this.writableFinished) {
        await new Promise<void>((resolve, reject) => {
          this.once('error', reject)
          this.end(() => resolve())
        })
      }
      await this.writes
      if (this.writeError) throw this.writeError
      await this.fh.sync()
      await this.fh.close()
      const digests = await this.hasher.digest()
      const info = {
        sha256: digests.sha256,
        sha384: digests.sha384,
        sha3_384: digests['sha3-384'],
        size: this.written,
      }
      if (expected?.size !== undefined && expected.size !== info.size) {
        throw new Error(`size mismatch: expected ${expected.size} bytes, got ${info.size}`)
      }
      if (expected?.sha256 !== undefined && expected.sha256 !== info.sha256) {
        throw new Error(`sha256 mismatch: expected ${expected.sha256}, got ${info.sha256}`)
      }
      crashPoint('blob-hashed')
      await beforeVisible?.(info.sha256)
      const dest = this.finalPath(info.sha256)
      const existing = await stat(dest).catch(() => undefined)
      if (existing && existing.size === info.size) {
        await rm(this.tmpPath, { force: true })
        this.finish()
        return { ...info, created: false }
      }
      await mkdir(dirname(dest), { recursive: true })
      crashPoint('blob-before-rename')
      await rename(this.tmpPath, dest)
      crashPoint('blob-after-rename')
      this.finish()
      return { ...info, created: true }
    } catch (err) {
      await this.cancel()
      throw err
    }
  }

  /** Hands idle slabs to the shared spares; ones still in flight follow when they come back. */
  private finish(): void {
    this.done = true
    for (const s of this.free.splice(0)) { this.owned--; if (spare.length < SPARE_SLABS) spare.push(s) }
    if (this.current) { const s = this.current; this.current = undefined; this.owned--; if (spare.length < SPARE_SLABS) spare.push(s) }
  }

  async cancel(): Promise<void> {
    if (this.done) return
    this.finish()
    this.hasher.drop()
    if (!this.destroyed) this.destroy()
    await this.writes.catch(() => {})
    await this.fh.close().catch(() => {})
    await rm(this.tmpPath, { force: true })
  }
}
