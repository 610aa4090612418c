// Hashes a blob off the main thread by reading it back from the export file as it is written (from
// the page cache): the download loop only writes, the hash thread catches up behind it, and nothing
// queues in memory however far behind it falls. It also keeps the CRC-32 of each segment, which the
// gzip trailers are computed from (stored-tar-gz.ts).
import { createHash, type Hash } from 'node:crypto'
import { Worker } from 'node:worker_threads'
import { crc32 } from './crc32.js'
import { SEGMENT, segments, type Placement } from './stored-tar-gz.js'

// Plain CommonJS run by `new Worker(..., { eval: true })`, so there is no extra file to ship.
// Messages are handled in order: `end` follows every `upto` and `reset` sent before it.
const SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const { openSync, readSync, closeSync } = require('node:fs')
const { crc32 } = require('node:zlib')
let s
function reset() {
  s.done = 0
  s.hashes = s.algos.map((a) => [a, createHash(a)])
  s.crcs = new Uint32Array(Math.ceil(s.p.size / s.seg))
}
function advance(n) {
  const { p, seg, buf } = s
  const stride = seg + 5 * p.depth
  while (s.done < n) {
    const k = Math.floor(s.done / seg)
    const inSeg = s.done - k * seg
    const len = Math.min(n - s.done, seg - inSeg)
    const at = p.offset + k * stride + 5 * p.depth + inSeg
    let got = 0
    while (got < len) {
      const r = readSync(s.fd, buf, got, len - got, at + got)
      if (r === 0) throw new Error('export file shorter than written')
      got += r
    }
    const view = buf.subarray(0, len)
    for (const h of s.hashes) h[1].update(view)
    s.crcs[k] = crc32(view, s.crcs[k])
    s.done += len
  }
}
parentPort.on('message', (m) => {
  try {
    if (s && s.error) { if (m.op === 'end') parentPort.postMessage({ error: s.error }); return }
    if (m.op === 'start') { s = { fd: openSync(m.path, 'r'), p: m.placement, seg: m.seg, algos: m.algos, buf: Buffer.allocUnsafe(m.seg) }; reset() }
    else if (m.op === 'reset') reset()
    else if (m.op === 'upto') advance(m.n)
    else if (m.op === 'end') {
      advance(m.n)
      closeSync(s.fd)
      parentPort.postMessage({ digests: Object.fromEntries(s.hashes.map((h) => [h[0], h[1].digest('hex')])), crcs: s.crcs })
    }
  } catch (err) {
    if (!s) s = {}
    s.error = String(err && err.message || err)
    if (m.op === 'end') parentPort.postMessage({ error: s.error })
  }
})
`

/** How far the writer may run ahead before the hash thread is told (fewer, larger reads). */
const NOTIFY_BYTES = 1 << 20

export interface Hashed {
  /** Lower-case hex, by node:crypto algorithm name. */
  readonly digests: Readonly<Record<string, string>>
  readonly crcs: Uint32Array
}

/** What a download target needs from its hasher. */
export interface BlobHasher {
  /** The first `n` bytes are in the file; `chunk` is the last of them. */
  written(n: number, chunk: Buffer): void
  restart(): void
  end(n: number): Promise<Hashed>
  close(): Promise<void>
}

/** Blobs up to this size are hashed inline: starting a thread costs more than hashing them. */
export const INLINE_BYTES = 4 << 20

/** The hasher for a placed blob: inline when small, a hash thread otherwise. */
export function blobHasher(path: string, placement: Placement, algorithms: readonly string[]): BlobHasher {
  return placement.size <= INLINE_BYTES ? new InlineHasher(placement, algorithms) : new FollowingHasher(path, placement, algorithms)
}

class InlineHasher implements BlobHasher {
  private hashes: Array<[string, Hash]> = []
  private crcs = new Uint32Array(0)

  constructor(
    private readonly placement: Placement,
    private readonly algorithms: readonly string[],
  ) {
    this.restart()
  }

  written(n: number, chunk: Buffer): void {
    for (const [, h] of this.hashes) h.update(chunk)
    for (let at = n - chunk.length, from = 0; from < chunk.length;) {
      const k = Math.floor(at / SEGMENT)
      const len = Math.min(chunk.length - from, SEGMENT - (at - k * SEGMENT))
      this.crcs[k] = crc32(chunk.subarray(from, from + len), this.crcs[k])
      from += len
      at += len
    }
  }

  restart(): void {
    this.hashes = this.algorithms.map((a) => [a, createHash(a)])
    this.crcs = new Uint32Array(segments(this.placement.size))
  }

  end(): Promise<Hashed> {
    return Promise.resolve({ digests: Object.fromEntries(this.hashes.map(([a, h]) => [a, h.digest('hex')])), crcs: this.crcs })
  }

  close(): Promise<void> {
    return Promise.resolve()
  }
}

class FollowingHasher implements BlobHasher {
  private readonly worker: Worker
  private told = 0
  private readonly reply: Promise<Hashed>

  constructor(path: string, placement: Placement, algorithms: readonly string[]) {
    this.worker = new Worker(SOURCE, { eval: true, name: 'airlock-export-hash' })
    this.reply = new Promise((resolve, reject) => {
      this.worker.once('message', (m: { error?: string; digests?: Record<string, string>; crcs?: Uint32Array }) =>
        m.error !== undefined ? reject(new Error(`hashing ${path}: ${m.error}`)) : resolve({ digests: m.digests!, crcs: m.crcs! }),
      )
      this.worker.once('error', reject)
      this.worker.once('exit', (code) => reject(new Error(`hash thread exited (${code})`)))
    })
    this.reply.catch(() => {})
    this.worker.postMessage({ op: 'start', path, placement, seg: SEGMENT, algos: algorithms })
  }

  /** The first `n` bytes of the blob are in the file. */
  written(n: number, _chunk?: Buffer): void {
    if (n - this.told < NOTIFY_BYTES) return
    this.told = n
    this.worker.postMessage({ op: 'upto', n })
  }

  restart(): void {
    this.told = 0
    this.worker.postMessage({ op: 'reset' })
  }

  /** Digests and segment CRCs of the first `n` bytes, once the thread has read them all. */
  async end(n: number): Promise<Hashed> {
    this.worker.postMessage({ op: 'end', n })
    try {
      return await this.reply
    } finally {
      await this.close()
    }
  }

  async close(): Promise<void> {
    await this.worker.terminate()
  }
}
