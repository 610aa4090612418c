// Assertion headers, read and written exactly as snapd's asserts/headers.go does (parseHeaders,
// parseEntry, appendEntry), so that what we parse and what our fixture signer writes agree with snapd
// byte for byte. Values are strings, lists or maps, nested; lists and maps are introduced by an empty
// value and indented by two spaces, multi-line strings by four.

export type HeaderValue = string | readonly HeaderValue[] | HeaderMap
export interface HeaderMap {
  readonly [name: string]: HeaderValue
}

/** A header problem, with the 0-based line within the header block where it was found. */
export class HeaderError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message)
  }
}

// snapd's headerNameValidity; it also keeps "__proto__" out, and the maps below have no prototype.
const NAME = /^[a-z](?:-?[a-z0-9])*$/
const COMMON = '  '
const MULTILINE = '    '
const LIST = '  -'

const q = (s: string) => JSON.stringify(s)
const indent = (base: number, prefix: string) => ' '.repeat(base) + prefix

/** Parses a header block (the text before the first blank line, without it). */
export function parseHeaders(head: string): Record<string, HeaderValue> {
  const headers: Record<string, HeaderValue> = Object.create(null)
  const lines = head.split('\n')
  for (let i = 0; i < lines.length;) {
    const entry = lines[i]!
    const colon = entry.indexOf(':')
    if (colon < 0) throw new HeaderError(i, `header entry missing ':' separator: ${q(entry)}`)
    const name = entry.slice(0, colon)
    if (!NAME.test(name)) throw new HeaderError(i, `invalid header name: ${q(name)}`)
    const [value, next] = parseEntry(colon + 1, i, lines, 0)
    if (Object.hasOwn(headers, name)) throw new HeaderError(i, `repeated header: ${q(name)}`)
    headers[name] = value
    i = next
  }
  return headers
}

type Parsed = [HeaderValue, number]

function parseEntry(consumed: number, first: number, lines: string[], base: number): Parsed {
  const entry = lines[first]!
  const i = first + 1
  if (consumed === entry.length) {
    // nothing after the colon: a list, a map or a multi-line string follows
    const prefix = indent(base, COMMON)
    const nextLine = lines[i]
    if (nextLine !== undefined && nextLine.startsWith(prefix)) {
      const rest = nextLine.slice(prefix.length)
      if (rest.startsWith('-')) return parseList(i, lines, base)
      if (rest.length > 0 && rest[0] !== ' ') return parseMap(i, lines, base)
    }
    return parseMultiline(i, lines, base)
  }
  if (entry[consumed] !== ' ') {
    throw new HeaderError(first, `header entry should have a space or newline (for multiline) before value: ${q(entry)}`)
  }
  return [entry.slice(consumed + 1), i]
}

function parseMultiline(first: number, lines: string[], base: number): Parsed {
  const prefix = indent(base, MULTILINE)
  let j = first
  while (j < lines.length && lines[j]!.startsWith(prefix)) j++
  if (j === first) {
    const cur = first === lines.length ? 'EOF' : q(lines[first]!)
    throw new HeaderError(
      first,
      `expected ${prefix.length} chars nesting prefix after multiline introduction ${q(lines[first - 1]!)}: ${cur}`,
    )
  }
  return [
    lines
      .slice(first, j)
      .map((l) => l.slice(prefix.length))
      .join('\n'),
    j,
  ]
}

function parseList(first: number, lines: string[], base: number): Parsed {
  const list: HeaderValue[] = []
  const prefix = indent(base, LIST)
  let j = first
  while (j < lines.length && lines[j]!.startsWith(prefix)) {
    const [v, next] = parseEntry(prefix.length, j, lines, base + LIST.length - 1)
    list.push(v)
    j = next
  }
  return [list, j]
}

function parseMap(first: number, lines: string[], base: number): Parsed {
  const map: Record<string, HeaderValue> = Object.create(null)
  const prefix = indent(base, COMMON)
  let j = first
  while (j < lines.length && lines[j]!.startsWith(prefix)) {
    const entry = lines[j]!.slice(prefix.length)
    const colon = entry.indexOf(':')
    if (colon < 0) throw new HeaderError(j, `map entry missing ':' separator: ${q(entry)}`)
    const key = entry.slice(0, colon)
    if (!NAME.test(key)) throw new HeaderError(j, `invalid map entry key: ${q(key)}`)
    const [v, next] = parseEntry(prefix.length + colon + 1, j, lines, prefix.length)
    if (Object.hasOwn(map, key)) throw new HeaderError(j, `repeated map entry: ${q(key)}`)
    map[key] = v
    j = next
  }
  return [map, j]
}

/**
 * Writes one header as snapd's appendEntry does: a leading newline, then `name:` and the value.
 * Empty lists and maps are omitted (snapd omits them too), map keys are sorted.
 */
export function formatHeader(name: string, value: HeaderValue): string {
  if (!NAME.test(name)) throw new Error(`invalid header name: ${q(name)}`)
  return appendEntry(`${name}:`, value, 0)
}

function appendEntry(intro: string, v: HeaderValue, base: number): string {
  if (typeof v === 'string') {
    if (!v.includes('\n')) return `\n${intro} ${v}`
    const pfx = indent(base, MULTILINE)
    return `\n${intro}\n${pfx}${v.replaceAll('\n', '\n' + pfx)}`
  }
  if (isList(v)) {
    if (v.length === 0) return ''
    const pfx = indent(base, LIST)
    return `\n${intro}` + v.map((e) => appendEntry(pfx, e, base + LIST.length - 1)).join('')
  }
  const keys = Object.keys(v).sort(compareBytes)
  if (keys.length === 0) return ''
  const pfx = indent(base, COMMON)
  return `\n${intro}` + keys.map((k) => appendEntry(`${pfx}${k}:`, v[k]!, pfx.length)).join('')
}

function isList(v: HeaderValue): v is readonly HeaderValue[] {
  return Array.isArray(v)
}

/** Go's sort.Strings order (bytewise); header names are ASCII, so code units order the same. */
export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
