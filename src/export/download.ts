// Downloads one blob into a target (a staged file, or its place in an export tarball), hashed as it
// streams (memory stays flat whatever the size), and checks it against what the store answered
// before anyone may use it. A connection lost part-way is resumed with Range where the server honours
// it, and restarted from the first byte where it does not.
import { createHash, type Hash } from 'node:crypto'
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs'
import { ExportError } from './errors.js'
import { get, type GetAnswer } from './http-get.js'
import { parseUrl, Transient, transientAnswer, withRetries, type HttpOptions } from './http.js'

export interface Expected {
  readonly size: number
  /** Lower-case hex digests, as the stores answer them. */
  readonly sha256?: string | undefined
  readonly sha384?: string | undefined
  readonly sha3_384?: string | undefined
}

const ALGORITHMS = { sha256: 'sha256', sha384: 'sha384', sha3_384: 'sha3-384' } as const
type HashName = keyof typeof ALGORITHMS

export interface Downloaded {
  readonly size: number
  readonly digests: Partial<Record<HashName, string>>
}

/** Where a download's bytes go. Writes are synchronous, so what was written always agrees with `at`. */
export interface DownloadTarget {
  /** Puts `chunk` at byte `at` of the blob. */
  write(chunk: Buffer, at: number): void
  /** The download starts again from byte 0. */
  restart(): void
  /** The digests (node:crypto names, hex) of the first `size` bytes, all written. */
  finish(size: number): Promise<Readonly<Record<string, string>>>
  /** Releases the target whether or not the download finished. */
  close(): Promise<void>
}

/** The node:crypto algorithms `expected` asks to check. */
export function algorithmsFor(expected: Expected): string[] {
  return (Object.keys(ALGORITHMS) as HashName[]).filter((h) => expected[h] !== undefined).map((h) => ALGORITHMS[h])
}

/** A file of its own (created or truncated), hashed inline: for small blobs the export reads itself. */
export function fileTarget(dest: string, algorithms: readonly string[]): DownloadTarget {
  const fd = openSync(dest, 'w')
  let hashes: Array<[string, Hash]> = []
  const restart = () => {
    ftruncateSync(fd, 0)
    hashes = algorithms.map((a) => [a, createHash(a)])
  }
  restart()
  let open = true
  return {
    write(chunk, at) {
      writeSync(fd, chunk, 0, chunk.length, at)
      for (const [, h] of hashes) h.update(chunk)
    },
    restart,
    finish() {
      return Promise.resolve(Object.fromEntries(hashes.map(([a, h]) => [a, h.digest('hex')])))
    },
    close() {
      if (open) {
        open = false
        closeSync(fd)
      }
      return Promise.resolve()
    },
  }
}

/** GETs `target`, following redirects (the stores send downloads to a CDN host), with a loop bound. */
async function open(target: string, headers: Readonly<Record<string, string>>, opts: HttpOptions): Promise<GetAnswer> {
  let url = parseUrl(target)
  for (let hops = 0; ; hops++) {
    const res = await get(url, headers, opts.idleTimeoutMs)
    const location = res.headers.get('location')
    if (res.status >= 300 && res.status < 400 && res.status !== 304 && location) {
      res.discard()
      if (hops >= opts.maxRedirects) throw new ExportError(`more than ${opts.maxRedirects} redirects from ${target} (a redirect loop?)`)
      url = parseUrl(location, url)
      continue
    }
    return res
  }
}

/**
 * GETs `url` into `target` and verifies size and every digest given. Throws ExportError naming the
 * problem ("sha256 mismatch", "truncated"); `onBytes` sees progress.
 */
export async function download(
  url: string,
  target: DownloadTarget,
  expected: Expected,
  opts: HttpOptions,
  onBytes: (n: number) => void = () => {},
): Promise<Downloaded> {
  const wanted = (Object.keys(ALGORITHMS) as HashName[]).filter((h) => expected[h] !== undefined)
  let written = 0
  const restart = () => {
    onBytes(-written)
    written = 0
    target.restart()
  }
  try {
    await withRetries(opts, async () => {
      const resume = written > 0 && written < expected.size
      const res = await open(url, resume ? { Range: `bytes=${written}-` } : {}, opts)
      const at = res.url
      const t = transientAnswer(res.status, res.headers.get('retry-after'), at)
      if (t) {
        res.discard()
        throw t
      }
      const status = res.status
      if (status === 404) {
        res.discard()
        throw new ExportError(`download not found (HTTP 404 from ${at.href})`)
      }
      if (status === 206 && resume) {
        const start = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '')?.[1]
        if (Number(start) !== written) {
          // Resumed somewhere else: start over from the first byte rather than splice.
          res.discard()
          restart()
          throw new Transient(`${at.host} resumed the download at byte ${start ?? '?'}, not ${written}`, 0)
        }
      } else if (status === 200) {
        if (written > 0) restart()
      } else {
        res.discard()
        throw new ExportError(`download failed: HTTP ${status} from ${at.href}`)
      }
      const declared = res.headers.get('content-length')
      if (status === 200 && declared !== undefined && Number(declared) !== expected.size) {
        res.discard()
        throw new ExportError(`the download is ${declared} bytes, but the store said ${expected.size}`)
      }
      // Written synchronously, so `written` and the hashes always agree with the file, even when the
      // connection drops between two chunks.
      try {
        await res.body((chunk) => {
          if (written + chunk.length > expected.size)
            throw new ExportError(`the download is larger than the ${expected.size} bytes the store said`)
          target.write(chunk, written)
          written += chunk.length
          onBytes(chunk.length)
        })
      } catch (err) {
        if (err instanceof ExportError) throw err
        throw new Transient(`connection lost after ${written} of ${expected.size} bytes`)
      }
      if (written < expected.size) throw new Transient(`truncated download: got ${written} of ${expected.size} bytes`)
    })
    const hex = await target.finish(written)
    const digests: Partial<Record<HashName, string>> = {}
    for (const name of wanted) {
      const got = hex[ALGORITHMS[name]]!
      digests[name] = got
      if (got !== expected[name]!.toLowerCase())
        throw new ExportError(`${ALGORITHMS[name]} mismatch: the store said ${expected[name]}, the download has ${got}`)
    }
    return { size: written, digests }
  } finally {
    await target.close()
  }
}
