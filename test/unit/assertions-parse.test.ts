// Assertion streams: exact bytes kept, snapd's header syntax, and precise errors for broken input.
import { describe, expect, it } from 'vitest'
import { InvalidInput } from '../../src/catalog/errors.js'
import { formatHeader, parseHeaders, type HeaderValue } from '../../src/assertions/headers.js'
import { describeAssertion, encodeAssertions, headerString, parseAssertions } from '../../src/assertions/parse.js'
import { CANONICAL_ROOT_ACCOUNT_KEY } from '../../src/assertions/canonical-root.js'
import { fixture } from '../support/assertion-signer.js'

const FILES = [
  'testrootorg.account',
  'test-root.account-key',
  'test-store.account-key',
  'developer1.account',
  'developer1.account-key',
  'developer1-20-signed.model',
]
const files = FILES.map(fixture)
const stream = Buffer.concat(files.flatMap((f, i) => (i ? [Buffer.from('\n'), f] : [f])))

describe('parseAssertions', () => {
  it('keeps every assertion byte for byte and re-encodes the stream identically', () => {
    const list = parseAssertions(stream)
    expect(list.map((a) => a.type.name)).toEqual(['account', 'account-key', 'account-key', 'account', 'account-key', 'model'])
    list.forEach((a, i) => {
      expect(a.bytes.equals(files[i]!)).toBe(true)
      expect(a.index).toBe(i)
      expect(stream.subarray(a.offset, a.offset + a.bytes.length).equals(a.bytes)).toBe(true)
      expect(Buffer.concat([a.content, Buffer.from('\n\n'), a.signature]).equals(a.bytes)).toBe(true)
    })
    expect(encodeAssertions(list).equals(stream)).toBe(true)
  })

  it('splits content, body and signature as snapd does', () => {
    const [key] = parseAssertions(fixture('test-root.account-key'))
    const text = key!.bytes.toString()
    expect(key!.body.length).toBe(717)
    expect(text.split('\n\n')[1]).toBe(key!.body.toString())
    expect(key!.content.toString()).toBe(text.split('\n\n').slice(0, 2).join('\n\n'))
    expect(key!.signature.toString()).toMatch(/^AcLBXAQAAQoABgUC[^]*\n$/)
    expect(key!.primaryKey).toEqual(['hIedp1AvrWlcDI4uS_qjoFLzjKl5enu4G2FYJpgB3Pj-tUzGlTQBxMBsBmi-tnJR'])
    expect(describeAssertion(key!)).toBe(
      'account-key (public-key-sha3-384=hIedp1AvrWlcDI4uS_qjoFLzjKl5enu4G2FYJpgB3Pj-tUzGlTQBxMBsBmi-tnJR)',
    )
  })

  it('reads the Canonical root key, whose headers put revision before the primary key', () => {
    const [root] = parseAssertions(Buffer.from(CANONICAL_ROOT_ACCOUNT_KEY))
    expect(headerString(root!, 'revision')).toBe('2')
    expect(root!.body.length).toBe(1406)
    expect(root!.bytes.toString()).toBe(CANONICAL_ROOT_ACCOUNT_KEY)
  })

  it('reads lists of maps (a real model assertion)', () => {
    const [model] = parseAssertions(fixture('developer1-20-signed.model'))
    expect(model!.primaryKey).toEqual(['16', 'developer1', 'testkeys-snapd-signed-core-20-amd64'])
    expect(model!.headers['serial-authority']).toEqual(['generic'])
    const snaps = model!.headers.snaps as HeaderValue[]
    expect(snaps).toHaveLength(4)
    expect(snaps[0]).toEqual({ 'default-channel': '20/edge', id: 'UqFziVZDHLSyO3TqSWgNBoAdHbLI4dAH', name: 'pc', type: 'gadget' })
  })

  it('fills the default provenance of a snap-revision, as snapd does', () => {
    const text = 'type: snap-revision\nauthority-id: a\nsnap-sha3-384: x\nsign-key-sha3-384: ' + 'k'.repeat(64) + '\n\nAAAA\n'
    expect(parseAssertions(Buffer.from(text))[0]!.primaryKey).toEqual(['x', 'global-upload'])
  })

  it('tolerates extra blank lines between and after assertions, and an empty stream', () => {
    const loose = Buffer.concat([Buffer.from('\n'), files[0]!, Buffer.from('\n\n\n'), files[1]!, Buffer.from('\n\n')])
    expect(parseAssertions(loose).map((a) => a.bytes.equals(files[a.index]!))).toEqual([true, true])
    expect(parseAssertions(Buffer.alloc(0))).toEqual([])
  })
})

describe('headers', () => {
  const cases: [string, Record<string, HeaderValue>][] = [
    ['simple', { a: 'x', b: '', c: 'with: colon' }],
    ['multi-line string', { body: 'line one\n  indented\n\nafter empty', n: '1' }],
    ['list', { series: ['16', '18'], after: 'x' }],
    ['map of lists and maps', { plugs: { home: { 'allow-auto-connection': 'true' }, network: ['a', { b: 'c\nd' }] } }],
    ['list of lists', { l: [['a', 'b'], ['c']] }],
  ]
  it.each(cases)('round-trips %s through snapd formatting', (_name, headers) => {
    const text = Object.entries(headers)
      .map(([k, v]) => formatHeader(k, v))
      .join('')
      .slice(1)
    expect(parseHeaders(text)).toEqual(headers)
  })
  it('formats like snapd: 4-space multi-line strings, "  -" lists, 2-space sorted maps', () => {
    expect(formatHeader('m', { z: '1', a: ['x', 'y\nz'] })).toBe('\nm:\n  a:\n    - x\n    -\n        y\n        z\n  z: 1')
    expect(formatHeader('s', 'a\nb')).toBe('\ns:\n    a\n    b')
  })
  it.each([
    ['no-colon', /missing ':' separator/],
    ['Bad: x', /invalid header name: "Bad"/],
    ['a: 1\na: 2', /repeated header: "a"/],
    ['a:x', /should have a space or newline/],
    ['a:\nb: 1', /expected 4 chars nesting prefix/],
    ['m:\n  k 1', /map entry missing ':'/],
  ])('refuses %j', (text, problem) => expect(() => parseHeaders(text)).toThrow(problem))
})

describe('broken streams', () => {
  const key = 'k'.repeat(64)
  const one = `type: account\nauthority-id: a\naccount-id: b\nsign-key-sha3-384: ${key}\n\nAAAA\n`
  const err = (text: string | Buffer) => {
    try {
      parseAssertions(Buffer.from(text), { file: 'x.assert' })
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidInput)
      return (e as Error).message
    }
    throw new Error('expected a parse error')
  }
  it('names the file, the assertion and its offset', () => {
    expect(err(one + '\n' + 'type: account\naccount-id: c')).toBe(
      `x.assert: assertion #2 at byte ${one.length + 1}: truncated: no blank line after the headers`,
    )
  })
  it.each([
    ['missing signature', `type: account\nauthority-id: a\naccount-id: b\nsign-key-sha3-384: ${key}\n\n`, /account: missing signature/],
    [
      'body cut short',
      `type: account-key\nauthority-id: a\npublic-key-sha3-384: p\nbody-length: 100\nsign-key-sha3-384: ${key}\n\nshort`,
      /truncated: body-length is 100 but only 5 bytes/,
    ],
    [
      'body-length too small',
      `type: account-key\nauthority-id: a\npublic-key-sha3-384: p\nbody-length: 2\nsign-key-sha3-384: ${key}\n\nlonger body\n\nAAAA\n`,
      /bad body-length 2: the body is not followed by a blank line/,
    ],
    ['body-length not a number', `type: account\nbody-length: 01\nsign-key-sha3-384: ${key}\n\nAAAA\n`, /bad body-length: "01"/],
    ['unknown type', `type: no-such\nsign-key-sha3-384: ${key}\n\nAAAA\n`, /unknown assertion type "no-such"/],
    [
      'unknown format',
      `type: snap-declaration\nformat: 8\nauthority-id: a\nseries: 16\nsnap-id: s\nsign-key-sha3-384: ${key}\n\nAAAA\n`,
      /unknown format 8 \(highest understood: 7\)/,
    ],
    ['no authority', `type: account\naccount-id: b\nsign-key-sha3-384: ${key}\n\nAAAA\n`, /"authority-id" header is missing/],
    ['bad sign key', `type: account\nauthority-id: a\naccount-id: b\nsign-key-sha3-384: short\n\nAAAA\n`, /not a SHA3-384 digest/],
    [
      'slash in a primary key',
      `type: account\nauthority-id: a\naccount-id: b/c\nsign-key-sha3-384: ${key}\n\nAAAA\n`,
      /cannot contain '\/'/,
    ],
    ['blank line missing between assertions', one + one, /not base64 text \(missing blank line/],
    [
      'header syntax, with its line',
      `type: account\nauthority-id: a\nBAD\n\nAAAA\n`,
      /header line 3 \(byte 30\): header entry missing ':'/,
    ],
    [
      'non-UTF-8 headers',
      Buffer.concat([Buffer.from('type: account\nx: '), Buffer.from([0xff]), Buffer.from('\n\nAAAA\n')]),
      /headers are not UTF-8/,
    ],
  ])('%s', (_name, text, problem) => expect(err(text)).toMatch(problem))

  it('every truncation of a real stream either fails with InvalidInput or keeps a prefix', () => {
    const two = Buffer.concat([files[1]!, Buffer.from('\n'), files[5]!])
    for (let cut = 1; cut < two.length; cut += 7) {
      const part = two.subarray(0, cut)
      try {
        const list = parseAssertions(part)
        for (const a of list) expect(part.subarray(a.offset, a.offset + a.bytes.length).equals(a.bytes)).toBe(true)
      } catch (e) {
        expect(e, `cut at ${cut}`).toBeInstanceOf(InvalidInput)
      }
    }
  })
})
