// Assertion streams (`.assert` files, store replies) split into assertions, keeping each one's exact
// bytes: the signature covers the content bytes, so nothing may ever be re-serialised. The stream walk
// is snapd's Decoder.Decode (asserts/asserts.go), the header checks its `assemble`.
import { InvalidInput, type Location } from '../catalog/errors.js'
import { HeaderError, parseHeaders, type HeaderValue } from './headers.js'
import { assertionType, type AssertionType } from './types.js'

export interface Assertion {
  readonly type: AssertionType
  /** Parsed headers; a defaulted optional primary key (snap-revision provenance) is filled in, as snapd does. */
  readonly headers: Readonly<Record<string, HeaderValue>>
  readonly primaryKey: readonly string[]
  /** What signature and body-length cover: the header block, plus "\n\n" and the body when there is one. */
  readonly content: Buffer
  readonly body: Buffer
  /** The signature text (base64 lines), with the one trailing newline snapd keeps. */
  readonly signature: Buffer
  /** content ‖ "\n\n" ‖ signature: exactly the bytes in the stream; what snapd's Encode returns. */
  readonly bytes: Buffer
  /** Position in the stream: 0-based index and byte offset. */
  readonly index: number
  readonly offset: number
}

// snapd's limits (asserts.go: MaxHeadersSize, MaxBodySize, MaxSignatureSize).
export const MAX_HEADERS = 128 * 1024
export const MAX_BODY = 2 * 1024 * 1024
export const MAX_SIGNATURE = 128 * 1024

const NLNL = Buffer.from('\n\n')
const utf8 = new TextDecoder('utf-8', { fatal: true })
const SIGNATURE_TEXT = /^[A-Za-z0-9+/=\n]+$/
const DIGEST_384 = /^[A-Za-z0-9_-]{64}$/

/** "snap-declaration (series=16, snap-id=abc)": how errors name an assertion. */
export function describeAssertion(a: Pick<Assertion, 'type' | 'primaryKey'>): string {
  const keys = a.type.primaryKey.map((k, i) => `${k}=${a.primaryKey[i] ?? ''}`)
  return keys.length ? `${a.type.name} (${keys.join(', ')})` : a.type.name
}

/** A header as a string; undefined when absent or when it is a list or map. */
export function headerString(a: Pick<Assertion, 'headers'>, name: string): string | undefined {
  const v = a.headers[name]
  return typeof v === 'string' ? v : undefined
}

/**
 * Splits a stream into assertions. Blank lines between and after assertions are tolerated (snapd's
 * decoder wants exactly one); an empty stream gives an empty list. Throws InvalidInput naming the
 * assertion (#n, 1-based, and its byte offset) and the problem.
 */
export function parseAssertions(data: Buffer, where: Location = {}): Assertion[] {
  const out: Assertion[] = []
  let pos = skipNewlines(data, 0)
  while (pos < data.length) {
    const a = parseOne(data, pos, out.length, where)
    out.push(a)
    pos = skipNewlines(data, a.offset + a.bytes.length)
  }
  return out
}

function skipNewlines(data: Buffer, pos: number): number {
  while (pos < data.length && data[pos] === 0x0a) pos++
  return pos
}

function parseOne(data: Buffer, start: number, index: number, where: Location): Assertion {
  const fail = (problem: string): never => {
    throw new InvalidInput(where, `assertion #${index + 1} at byte ${start}: ${problem}`)
  }
  const headEnd = data.indexOf(NLNL, start)
  if (headEnd < 0) fail('truncated: no blank line after the headers')
  if (headEnd - start > MAX_HEADERS) fail(`headers longer than ${MAX_HEADERS} bytes`)
  const head = decodeUtf8(data.subarray(start, headEnd)) ?? fail('headers are not UTF-8')
  let headers: Record<string, HeaderValue>
  try {
    headers = parseHeaders(head)
  } catch (e) {
    if (!(e instanceof HeaderError)) throw e
    const at = start + Buffer.byteLength(head.split('\n').slice(0, e.line).join('\n')) + (e.line > 0 ? 1 : 0)
    return fail(`header line ${e.line + 1} (byte ${at}): ${e.message}`)
  }
  const typeName = typeof headers.type === 'string' ? headers.type : fail('no "type" header')
  const type = assertionType(typeName) ?? fail(`unknown assertion type ${JSON.stringify(typeName)}`)
  const what = (problem: string) => fail(`${typeName}: ${problem}`)

  const bodyLength = intHeader(headers, 'body-length', what)
  if (bodyLength > MAX_BODY) what(`body-length ${bodyLength} exceeds the maximum body size ${MAX_BODY}`)
  let cursor = headEnd + 2
  if (bodyLength > 0) {
    if (cursor + bodyLength > data.length) {
      what(`truncated: body-length is ${bodyLength} but only ${data.length - cursor} bytes follow the headers`)
    }
    cursor += bodyLength
  }
  // After the body (or right after the headers) comes either the "\n\n" before the signature or,
  // with no body, the signature itself (snapd's Decoder reads up to the next "\n\n" either way).
  let contentEnd = headEnd
  let sigStart = cursor
  if (data[cursor] === 0x0a && data[cursor + 1] === 0x0a) {
    contentEnd = cursor
    sigStart = cursor + 2
  } else if (bodyLength > 0) {
    what(`bad body-length ${bodyLength}: the body is not followed by a blank line`)
  }
  const sigSep = data.indexOf(NLNL, sigStart)
  // keep one trailing newline, as snapd does ("normalize sig ending newlines")
  const sigEnd = sigSep < 0 ? data.length : sigSep + 1
  const signature = data.subarray(sigStart, sigEnd)
  if (signature.length === 0 || (signature.length === 1 && signature[0] === 0x0a)) what('missing signature')
  if (signature.length > MAX_SIGNATURE) what(`signature longer than ${MAX_SIGNATURE} bytes`)
  if (!SIGNATURE_TEXT.test(signature.toString('latin1'))) {
    what('the signature is not base64 text (missing blank line before the next assertion?)')
  }

  const body = bodyLength > 0 ? data.subarray(contentEnd - bodyLength, contentEnd) : Buffer.alloc(0)
  if (decodeUtf8(body) === undefined) what('body is not UTF-8')
  const primaryKey = checkHeaders(type, headers, what)
  const bytes = Buffer.from(data.subarray(start, sigEnd))
  return {
    type,
    headers,
    primaryKey,
    bytes,
    content: bytes.subarray(0, contentEnd - start),
    body: bytes.subarray(contentEnd - start - body.length, contentEnd - start),
    signature: bytes.subarray(sigStart - start),
    index,
    offset: start,
  }
}

// The generic checks of snapd's assemble(); type-specific checks live with their users (verify.ts).
function checkHeaders(type: AssertionType, headers: Record<string, HeaderValue>, what: (p: string) => never): string[] {
  const signKey = headers['sign-key-sha3-384']
  if (typeof signKey !== 'string' || !DIGEST_384.test(signKey)) what('"sign-key-sha3-384" header is missing or not a SHA3-384 digest')
  if (type.noAuthority) {
    if (headers['authority-id'] !== undefined) what('this type cannot have authority-id set')
  } else {
    const authority = headers['authority-id']
    if (typeof authority !== 'string' || authority === '') what('"authority-id" header is missing or empty')
    if (headers['signatory-id'] !== undefined && (typeof headers['signatory-id'] !== 'string' || headers['signatory-id'] === '')) {
      what('"signatory-id" header is empty')
    }
  }
  const format = intHeader(headers, 'format', what)
  if (format > type.maxFormat) what(`unknown format ${format} (highest understood: ${type.maxFormat})`)
  intHeader(headers, 'revision', what)
  return type.primaryKey.map((k) => {
    const dflt = type.defaults?.[k]
    if (headers[k] === undefined && dflt !== undefined) headers[k] = dflt
    const v = headers[k]
    if (typeof v !== 'string' || v === '') return what(`primary key header ${JSON.stringify(k)} is missing or empty`)
    if (v.includes('/')) what(`primary key header ${JSON.stringify(k)} cannot contain '/'`)
    return v
  })
}

/** A non-negative integer header as snapd's atoi reads it (no sign, no leading zeros); absent is 0. */
function intHeader(headers: Record<string, HeaderValue>, name: string, what: (p: string) => never): number {
  const v = headers[name]
  if (v === undefined) return 0
  if (typeof v !== 'string' || !/^(0|[1-9][0-9]{0,15})$/.test(v))
    return what(`bad ${name}: ${JSON.stringify(v)} is not a non-negative integer`)
  return Number(v)
}

function decodeUtf8(b: Buffer): string | undefined {
  try {
    return utf8.decode(b)
  } catch {
    return undefined
  }
}

/** A stream as snapd's Encoder writes it: assertions joined by a newline (each ends with one). */
export function encodeAssertions(list: readonly Pick<Assertion, 'bytes'>[]): Buffer {
  const parts: Buffer[] = []
  for (const a of list) {
    if (parts.length) parts.push(Buffer.from('\n'))
    parts.push(a.bytes)
    if (a.bytes[a.bytes.length - 1] !== 0x0a) parts.push(Buffer.from('\n'))
  }
  return Buffer.concat(parts)
}
