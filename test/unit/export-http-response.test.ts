// The export's HTTP/1.1 response parser: bodies by Content-Length, chunked and connection close, fed
// whole, byte by byte and in odd splits; truncated and malformed answers rejected with a clear error.
import { describe, expect, it } from 'vitest'
import { HttpProtocolError, ResponseParser, TruncatedBody, type ResponseHead } from '../../src/export/http-response.js'

interface Parsed {
  head?: ResponseHead
  body: Buffer
  ended: boolean
}

function parse(pieces: ReadonlyArray<string | Buffer>, close = false, noBody = false): Parsed {
  const out: Parsed = { body: Buffer.alloc(0), ended: false }
  const p = new ResponseParser(
    {
      head: (h) => (out.head = h),
      body: (c) => (out.body = Buffer.concat([out.body, c])),
      end: () => (out.ended = true),
    },
    noBody,
  )
  for (const piece of pieces) p.push(typeof piece === 'string' ? Buffer.from(piece, 'latin1') : piece)
  if (close) p.end()
  return out
}

/** `text` cut into pieces of `n` bytes. */
const split = (text: string, n: number) => Array.from({ length: Math.ceil(text.length / n) }, (_, i) => text.slice(i * n, i * n + n))

const OK = 'HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 11\r\n\r\nhello world'
const CHUNKED = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\n\r\n'

describe('ResponseParser', () => {
  it('reads a Content-Length body and lower-cases header names', () => {
    const r = parse([OK])
    expect(r.head?.status).toBe(200)
    expect(r.head?.headers.get('content-type')).toBe('application/octet-stream')
    expect(r.body.toString()).toBe('hello world')
    expect(r.ended).toBe(true)
  })

  it.each([1, 2, 3, 7, 16])('reads a Content-Length answer split into %i-byte packets', (n) => {
    const r = parse(split(OK, n))
    expect(r.body.toString()).toBe('hello world')
    expect(r.ended).toBe(true)
  })

  it('reads a chunked body with a chunk extension', () => {
    const r = parse([CHUNKED])
    expect(r.body.toString()).toBe('hello world')
    expect(r.ended).toBe(true)
  })

  it.each([1, 2, 3, 5, 9])('reads a chunked answer split into %i-byte packets', (n) => {
    const r = parse(split(CHUNKED, n))
    expect(r.body.toString()).toBe('hello world')
    expect(r.ended).toBe(true)
  })

  it('reads a chunked body with trailers', () => {
    const r = parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n'])
    expect(r.body.toString()).toBe('abc')
    expect(r.ended).toBe(true)
  })

  it('reads a body delimited by the end of the connection', () => {
    const r = parse(['HTTP/1.0 200 OK\r\n\r\nsome', ' bytes'], true)
    expect(r.body.toString()).toBe('some bytes')
    expect(r.ended).toBe(true)
  })

  it('skips an interim 100 Continue', () => {
    const r = parse(['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'])
    expect(r.head?.status).toBe(200)
    expect(r.body.toString()).toBe('ok')
  })

  it('gives a redirect its Location, and 204, 304 and HEAD answers no body', () => {
    const r = parse(['HTTP/1.1 302 Found\r\nLocation: http://cdn.example/x\r\nContent-Length: 0\r\n\r\n'])
    expect(r.head?.status).toBe(302)
    expect(r.head?.headers.get('location')).toBe('http://cdn.example/x')
    expect(r.ended).toBe(true)
    expect(parse(['HTTP/1.1 204 No Content\r\n\r\n']).ended).toBe(true)
    expect(parse(['HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n']).ended).toBe(true)
    expect(parse(['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n'], false, true).ended).toBe(true)
  })

  it('joins repeated headers', () => {
    const r = parse(['HTTP/1.1 200 OK\r\nVia: a\r\nvia: b\r\nContent-Length: 0\r\n\r\n'])
    expect(r.head?.headers.get('via')).toBe('a, b')
  })

  it('a Content-Length body cut short is truncated', () => {
    expect(() => parse(['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this'], true)).toThrow(TruncatedBody)
    expect(() => parse(['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this'], true)).toThrow(/after 9 of 100 bytes/)
  })

  it('a chunked body without its last chunk is truncated', () => {
    expect(() => parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel'], true)).toThrow(/before its last chunk/)
  })

  it('a connection closed before or during the headers is truncated', () => {
    expect(() => parse([], true)).toThrow(/before any answer/)
    expect(() => parse(['HTTP/1.1 200 OK\r\nContent-'], true)).toThrow(/middle of the headers/)
  })

  it('rejects a malformed status line', () => {
    expect(() => parse(['HTTP/2 200\r\n\r\n'])).toThrow(HttpProtocolError)
    expect(() => parse(['hello there\r\n\r\n'])).toThrow(/malformed status line "hello there"/)
  })

  it('rejects a malformed header line', () => {
    expect(() => parse(['HTTP/1.1 200 OK\r\nno colon here\r\n\r\n'])).toThrow(/malformed header line/)
  })

  it('rejects a bad chunk size and a chunk longer than its size', () => {
    expect(() => parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'])).toThrow(/bad chunk size "zz"/)
    expect(() => parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n'])).toThrow(/longer than its size/)
  })

  it('rejects a malformed Content-Length, both framings at once, and an unknown transfer coding', () => {
    expect(() => parse(['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'])).toThrow(/malformed Content-Length/)
    expect(() => parse(['HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n'])).toThrow(/both/)
    expect(() => parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n'])).toThrow(/unsupported Transfer-Encoding/)
  })

  it('rejects headers that never end, and bytes after the response', () => {
    expect(() => parse(['HTTP/1.1 200 OK\r\n', `X: ${'a'.repeat(70_000)}`])).toThrow(/headers longer than/)
    expect(() => parse(['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA'])).toThrow(/after the end of the response/)
  })

  it('hands over a large body without copying it whole', () => {
    const body = Buffer.alloc(3 << 20, 7)
    const pieces: Buffer[] = []
    const p = new ResponseParser({ head: () => {}, body: (c) => pieces.push(c), end: () => {} })
    p.push(Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`))
    p.push(body)
    expect(pieces).toHaveLength(1)
    expect(pieces[0]!.length).toBe(body.length)
    expect(p.done).toBe(true)
  })
})
