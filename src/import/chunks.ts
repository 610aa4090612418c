// Small helpers over byte streams as async iterables of Buffers.
import { Readable } from 'node:stream'

/** Reads at least `n` bytes (fewer at end of stream) and returns them with a stream of everything. */
export async function peek(source: AsyncIterable<Buffer>, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const it = source[Symbol.asyncIterator]()
  const seen: Buffer[] = []
  let have = 0
  let ended = false
  while (have < n) {
    const r = await it.next()
    if (r.done) {
      ended = true
      break
    }
    const buf = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value)
    seen.push(buf)
    have += buf.length
  }
  const head = Buffer.concat(seen)
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length) yield head
    if (ended) return
    for (;;) {
      const r = await it.next()
      if (r.done) return
      yield Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value)
    }
  }
  const stream = Readable.from(rest(), { objectMode: false })
  // If the consumer stops early, let the underlying source clean up.
  stream.once('close', () => {
    void it.return?.()
  })
  return { head, stream }
}

/** Buffers a whole stream, refusing past `limit` bytes (metadata files only, never blobs). */
export async function readAllLimited(source: AsyncIterable<Buffer>, limit: number, onTooBig: () => Error): Promise<Buffer> {
  const parts: Buffer[] = []
  let size = 0
  for await (const chunk of source) {
    size += chunk.length
    if (size > limit) throw onTooBig()
    parts.push(chunk)
  }
  return Buffer.concat(parts)
}

export async function drain(source: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of source) {
    /* discard */
  }
}

export const isGzip = (b: Buffer): boolean => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b
export const isZip = (b: Buffer): boolean => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04
export const isTar = (b: Buffer): boolean => b.length >= 262 && b.subarray(257, 262).toString('latin1') === 'ustar'
export const isSquashfs = (b: Buffer): boolean => b.length >= 4 && b.subarray(0, 4).toString('latin1') === 'hsqs'
