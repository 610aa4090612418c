// Minimal reading of snapd assertions: split a stream into assertions (bytes kept exactly) and read
// their top-level headers. Signature checking is the snap importer's job; charms only keep them.
import { InvalidInput, type Location } from '../catalog/errors.js'

export interface RawAssertion {
  readonly type: string
  readonly headers: Readonly<Record<string, string>>
  /** The exact bytes, headers through signature, without the separating blank line. */
  readonly bytes: Buffer
}

// Primary keys per type (snapd asserts/asserts.go), for indexing.
const PRIMARY_KEYS: Record<string, readonly string[]> = {
  account: ['account-id'],
  'account-key': ['public-key-sha3-384'],
  'snap-declaration': ['series', 'snap-id'],
  'snap-revision': ['snap-sha3-384'],
  store: ['store'],
}

export function primaryKeyOf(a: RawAssertion): string {
  const keys = PRIMARY_KEYS[a.type]
  if (!keys) return a.headers['sign-key-sha3-384'] ?? ''
  return keys.map((k) => a.headers[k] ?? '').join('/')
}

function readHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const m = /^([a-z][a-z0-9-]*):(?: (.*))?$/.exec(line)
    if (m) headers[m[1]!] = m[2] ?? ''
  }
  return headers
}

export function splitAssertions(data: Buffer, where: Location): RawAssertion[] {
  const out: RawAssertion[] = []
  let pos = 0
  const sep = Buffer.from('\n\n')
  while (pos < data.length) {
    while (pos < data.length && data[pos] === 0x0a) pos++
    if (pos >= data.length) break
    const start = pos
    const headEnd = data.indexOf(sep, pos)
    if (headEnd < 0) throw new InvalidInput(where, `truncated assertion at byte ${start}: no blank line after the headers`)
    const headers = readHeaders(data.subarray(start, headEnd).toString('utf8'))
    const type = headers.type
    if (!type) throw new InvalidInput(where, `assertion at byte ${start} has no type header`)
    let cursor = headEnd + 2
    const bodyLength = Number(headers['body-length'] ?? '0')
    if (!Number.isSafeInteger(bodyLength) || bodyLength < 0) throw new InvalidInput(where, `assertion at byte ${start}: invalid body-length`)
    if (bodyLength > 0) {
      cursor += bodyLength
      if (data.subarray(cursor, cursor + 2).toString() !== '\n\n') throw new InvalidInput(where, `truncated assertion at byte ${start}: body shorter than body-length`)
      cursor += 2
    }
    const sigEnd = data.indexOf(sep, cursor)
    const end = sigEnd < 0 ? data.length : sigEnd
    let bytesEnd = end
    while (bytesEnd > cursor && data[bytesEnd - 1] === 0x0a) bytesEnd--
    if (bytesEnd <= cursor) throw new InvalidInput(where, `truncated assertion at byte ${start}: the signature is missing`)
    out.push({ type, headers, bytes: Buffer.from(data.subarray(start, bytesEnd)) })
    pos = end
  }
  if (out.length === 0) throw new InvalidInput(where, 'no assertion found')
  return out
}
