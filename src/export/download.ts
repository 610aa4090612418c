// Downloads one blob to a file, hashing as it streams (memory stays flat whatever the size), and
// checks it against what the store answered before anyone may use it. A connection lost part-way is
// resumed with Range where the server honours it, and restarted from the first byte where it does not.
import { createHash, type Hash } from 'node:crypto'
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { ExportError } from './errors.js'
import { send, Transient, transientStatus, withRetries, type HttpOptions } from './http.js'

export interface Expected {
  readonly size: number
  /** Lower-case hex digests, as the stores answer them. */
  readonly sha256?: string | undefined
  readonly sha384?: string | undefined
  readonly sha3_384?: string | undefined
}

const ALGORITHMS = { sha256: 'sha256', sha384: 'sha384', sha3_384: 'sha3-384' } as const
type HashName = keyof typeof ALGORITHMS

export interface Downloaded { readonly size: number; readonly digests: Partial<Record<HashName, string>> }

/**
 * GETs `url` into `dest` (created or truncated) and verifies size and every digest given. Throws
 * ExportError naming the problem ("sha256 mismatch", "truncated"); `onBytes` sees progress.
 */
export async function download(url: string, dest: string, expected: Expected, opts: HttpOptions, onBytes: (n: number) => void = () => {}): Promise<Downloaded> {
  const wanted = (Object.keys(ALGORITHMS) as HashName[]).filter((h) => expected[h] !== undefined)
  let hashes = new Map<HashName, Hash>()
  let written = 0
  const fd = openSync(dest, 'w')
  const restart = () => {
    onBytes(-written)
    ftruncateSync(fd, 0)
    written = 0
    hashes = new Map(wanted.map((h) => [h, createHash(ALGORITHMS[h])]))
  }
  restart()
  try {
    await withRetries(opts, async () => {
      const resume = written > 0 && written < expected.size
      const { res, url: at } = await send('GET', url, resume ? { range: `bytes=${written}-` } : {}, undefined, opts)
      const t = transientStatus(res, at)
      if (t) { res.resume(); throw t }
      const status = res.statusCode ?? 0
      if (status === 404) { res.resume(); throw new ExportError(`download not found (HTTP 404 from ${at.href})`) }
      if (status === 206 && resume) {
        const start = /^bytes (\d+)-/.exec(String(res.headers['content-range'] ?? ''))?.[1]
        if (Number(start) !== written) {
          // Resumed somewhere else: start over from the first byte rather than splice.
          res.resume()
          restart()
          throw new Transient(`${at.host} resumed the download at byte ${start ?? '?'}, not ${written}`, 0)
        }
      } else if (status === 200) {
        if (written > 0) restart()
      } else {
        res.resume()
        throw new ExportError(`download failed: HTTP ${status} from ${at.href}`)
      }
      const declared = res.headers['content-length']
      if (status === 200 && declared !== undefined && Number(declared) !== expected.size) {
        res.destroy()
        throw new ExportError(`the download is ${declared} bytes, but the store said ${expected.size}`)
      }
      // Written synchronously, so `written` and the hashes always agree with the file, even when the
      // connection drops between two chunks.
      const sink = new Writable({
        highWaterMark: 1 << 20,
        write(chunk: Buffer, _enc, cb) {
          if (written + chunk.length > expected.size) { cb(new ExportError(`the download is larger than the ${expected.size} bytes the store said`)); return }
          try {
            writeSync(fd, chunk, 0, chunk.length, written)
            for (const h of hashes.values()) h.update(chunk)
            written += chunk.length
            onBytes(chunk.length)
            cb()
          } catch (err) { cb(err as Error) }
        },
      })
      try {
        await pipeline(res, sink)
      } catch (err) {
        if (err instanceof ExportError) throw err
        throw new Transient(`connection lost after ${written} of ${expected.size} bytes`)
      }
      if (written < expected.size) throw new Transient(`truncated download: got ${written} of ${expected.size} bytes`)
    })
  } finally {
    closeSync(fd)
  }
  const digests: Partial<Record<HashName, string>> = {}
  for (const [name, h] of hashes) {
    const got = h.digest('hex')
    digests[name] = got
    if (got !== expected[name]!.toLowerCase()) throw new ExportError(`${ALGORITHMS[name]} mismatch: the store said ${expected[name]}, the download has ${got}`)
  }
  return { size: written, digests }
}
