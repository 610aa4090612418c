// A pass-through that checks a blob against its descriptor as it streams to the registry. It holds
// back the last chunk until the digest and size are known, so a blob that does not match never
// reaches the registry whole: the upload is aborted instead of completed with wrong bytes.
import { createHash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'

export class BlobMismatch extends Error {}

export function verifyingStream(expected: { digest: string; size: number }, onBytes?: (n: number) => void): Transform {
  const [algorithm, hex] = expected.digest.split(':') as [string, string]
  const hash = createHash(algorithm)
  let held: Buffer | undefined
  let seen = 0
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      seen += chunk.length
      hash.update(chunk)
      if (seen > expected.size) return cb(new BlobMismatch(`is longer than the ${expected.size} bytes its descriptor says`))
      const out = held
      held = chunk
      if (out) onBytes?.(out.length)
      cb(null, out)
    },
    flush(cb: TransformCallback) {
      if (seen !== expected.size) return cb(new BlobMismatch(`is ${seen} bytes, its descriptor says ${expected.size}`))
      const actual = hash.digest('hex')
      if (actual !== hex) return cb(new BlobMismatch(`does not match its digest: the content is ${algorithm}:${actual}`))
      if (held) onBytes?.(held.length)
      cb(null, held)
    },
  })
}
