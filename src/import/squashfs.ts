// Reads one file out of a squashfs image with Debian's `unsquashfs -cat`, as snapd itself reads
// snaps (snap/squashfs/squashfs.go ReadFile; docs/protocol/snap-store.md §10). The image is untrusted:
// the output is capped, the run is timed, and nothing is ever extracted to disk.
import { spawn } from 'node:child_process'
import { InvalidInput, Unavailable, type Location } from '../catalog/errors.js'

export interface ReadLimits {
  /** Refuse the file when it is larger than this. */
  readonly maxBytes: number
  /** Kill unsquashfs after this long (a crafted image can make it spin). */
  readonly timeoutMs: number
}

const UNSQUASHFS = 'unsquashfs'
const STDERR_KEEP = 4096

/** What unsquashfs says on stderr, as the problem to report for `member`. */
function explain(stderr: string, member: string): string {
  if (/no matches for/i.test(stderr)) return `no ${member} in the squashfs image`
  if (/is a directory|not a regular file|failed to resolve symbolic link|symbolic link/i.test(stderr))
    return `${member} in the squashfs image is not a regular file`
  if (/superblock|not a squashfs|bad magic/i.test(stderr)) return 'not a valid squashfs image'
  const line = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .at(-1)
  return `unsquashfs cannot read ${member}${line ? `: ${line}` : ''}`
}

/**
 * The bytes of `member` (e.g. "meta/snap.yaml") inside the squashfs image at `path`. Throws InvalidInput
 * at `where` when the image is not squashfs, lacks the member, it is too large, or reading it does not
 * finish in time; Unavailable when unsquashfs is not installed.
 */
export function catSquashfsFile(path: string, member: string, where: Location, limits: ReadLimits): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // -p 1: one reader thread is plenty for one small file, and bounds what a hostile image can use.
    const child = spawn(UNSQUASHFS, ['-p', '1', '-cat', path, member], { stdio: ['ignore', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    let size = 0
    let stderr = ''
    let failure: Error | undefined
    const stop = (err: Error) => {
      failure ??= err
      child.kill('SIGKILL')
    }
    const timer = setTimeout(
      () =>
        stop(new InvalidInput(where, `unsquashfs did not read ${member} within ${limits.timeoutMs / 1000} s: the image may be corrupt`)),
      limits.timeoutMs,
    )
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limits.maxBytes)
        stop(new InvalidInput(where, `${member} is larger than ${limits.maxBytes} bytes (limit limits.max-metadata-bytes)`))
      else out.push(chunk)
    })
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_KEEP) stderr += chunk.toString('utf8').slice(0, STDERR_KEEP - stderr.length)
    })
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      reject(
        err.code === 'ENOENT'
          ? new Unavailable(`${UNSQUASHFS} is not installed (Debian package squashfs-tools); snap imports need it to read meta/snap.yaml`)
          : err,
      )
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      if (failure) return reject(failure)
      if (code !== 0) return reject(new InvalidInput(where, explain(stderr, member)))
      resolve(Buffer.concat(out))
    })
  })
}
