// Parses one HTTP/1.1 response as its bytes arrive, for the export's download client (http-get.ts):
// the status line, the headers, then a body delimited by Content-Length, by chunked encoding, or by
// the end of the connection. Strict: anything it cannot read exactly is an HttpProtocolError naming
// what was wrong, and a body that ends early is a TruncatedBody, never a short success.

/** The response does not follow HTTP/1.1. */
export class HttpProtocolError extends Error {}

/** The connection ended before the body did. */
export class TruncatedBody extends Error {}

export interface ResponseHead {
  readonly status: number
  /** Lower-case names; repeated headers joined with ", " (Set-Cookie is never needed here). */
  readonly headers: ReadonlyMap<string, string>
}

export interface ResponseSink {
  head(head: ResponseHead): void
  /** A piece of the body; only valid during the call (the buffer may be reused). */
  body(chunk: Buffer): void
  end(): void
}

/** Longest status line plus headers accepted. */
const MAX_HEAD = 64 << 10
/** Longest chunk-size line (with extensions) or trailer section accepted. */
const MAX_LINE = 4 << 10

type State = 'head' | 'length' | 'size' | 'data' | 'data-crlf' | 'trailers' | 'close' | 'done'

const CRLF2 = Buffer.from('\r\n\r\n')
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

export class ResponseParser {
  private state: State = 'head'
  /** Head or line bytes not complete yet. */
  private pending: Buffer = Buffer.alloc(0)
  private remaining = 0
  private received = 0

  /** `noBody`: the request was a HEAD, so no answer has a body. */
  constructor(
    private readonly sink: ResponseSink,
    private readonly noBody = false,
  ) {}

  get done(): boolean {
    return this.state === 'done'
  }

  /** Feeds the next bytes from the connection. Bytes after the end of the response are an error. */
  push(data: Buffer): void {
    let at = 0
    while (at < data.length) {
      switch (this.state) {
        case 'head':
        case 'size':
        case 'trailers':
        case 'data-crlf':
          at = this.line(data, at)
          break
        case 'length':
        case 'data': {
          const n = Math.min(this.remaining, data.length - at)
          this.sink.body(data.subarray(at, at + n))
          this.received += n
          this.remaining -= n
          at += n
          if (this.remaining === 0) {
            if (this.state === 'length') this.finish()
            else this.state = 'data-crlf'
          }
          break
        }
        case 'close':
          this.received += data.length - at
          this.sink.body(at === 0 ? data : data.subarray(at))
          at = data.length
          break
        case 'done':
          throw new HttpProtocolError(`${data.length - at} bytes after the end of the response`)
      }
    }
  }

  /** The connection has ended. */
  end(): void {
    if (this.state === 'done') return
    if (this.state === 'close') {
      this.finish()
      return
    }
    if (this.state === 'head') {
      throw this.pending.length === 0
        ? new TruncatedBody('the connection closed before any answer')
        : new TruncatedBody('the connection closed in the middle of the headers')
    }
    if (this.state === 'length') throw new TruncatedBody(`the body ended after ${this.received} of ${this.received + this.remaining} bytes`)
    throw new TruncatedBody(`the chunked body ended after ${this.received} bytes, before its last chunk`)
  }

  private finish(): void {
    this.state = 'done'
    this.sink.end()
  }

  /** Collects up to the end of the current head or line, then handles it. Returns where it stopped. */
  private line(data: Buffer, at: number): number {
    const head = this.state === 'head' || this.state === 'trailers'
    const terminator = head ? CRLF2 : CRLF2.subarray(0, 2)
    const limit = this.state === 'head' ? MAX_HEAD : MAX_LINE
    // A terminator may be split across packets: search the kept bytes' tail together with the new ones.
    const keep = Math.min(this.pending.length, terminator.length - 1)
    const joined = keep > 0 ? Buffer.concat([this.pending.subarray(this.pending.length - keep), data.subarray(at)]) : data.subarray(at)
    if (this.state === 'trailers') {
      // No trailers: the section is one bare CRLF, possibly split across packets.
      const first = this.pending.length > 0 ? this.pending[0] : data[at]
      const second = this.pending.length > 1 ? this.pending[1] : data[at + 1 - this.pending.length]
      if (first === 13 && (second === 10 || second === undefined)) {
        if (second === undefined) {
          this.pending = Buffer.concat([this.pending, data.subarray(at)])
          return data.length
        }
        const used = 2 - this.pending.length
        this.pending = Buffer.alloc(0)
        this.finish()
        return at + used
      }
    }
    const end = joined.indexOf(terminator)
    if (end === -1) {
      if (this.pending.length + data.length - at > limit) throw new HttpProtocolError(this.tooLong())
      this.pending = Buffer.concat([this.pending, data.subarray(at)])
      return data.length
    }
    const used = end + terminator.length - keep
    const text = Buffer.concat([this.pending, data.subarray(at, at + used)])
    if (text.length > limit) throw new HttpProtocolError(this.tooLong())
    this.pending = Buffer.alloc(0)
    const content = text.subarray(0, text.length - terminator.length).toString('latin1')
    switch (this.state) {
      case 'head':
        this.onHead(content)
        break
      case 'size':
        this.onSize(content)
        break
      case 'data-crlf':
        if (content !== '') throw new HttpProtocolError('a chunk is longer than its size says')
        this.state = 'size'
        break
      case 'trailers':
        this.finish()
        break
    }
    return at + used
  }

  private tooLong(): string {
    return this.state === 'head' ? `headers longer than ${MAX_HEAD} bytes` : `a chunk-size line longer than ${MAX_LINE} bytes`
  }

  private onHead(text: string): void {
    const lines = text.split('\r\n')
    const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0]!)
    if (!m) throw new HttpProtocolError(`malformed status line ${JSON.stringify(lines[0]!.slice(0, 80))}`)
    const status = Number(m[1])
    const headers = new Map<string, string>()
    for (const l of lines.slice(1)) {
      const colon = l.indexOf(':')
      const name = colon > 0 ? l.slice(0, colon) : ''
      if (!TOKEN.test(name)) throw new HttpProtocolError(`malformed header line ${JSON.stringify(l.slice(0, 80))}`)
      const key = name.toLowerCase()
      const value = l.slice(colon + 1).trim()
      const before = headers.get(key)
      headers.set(key, before === undefined ? value : `${before}, ${value}`)
    }
    // 1xx answers are interim: the real one follows.
    if (status >= 100 && status < 200) return
    this.sink.head({ status, headers })
    const te = headers.get('transfer-encoding')
    const cl = headers.get('content-length')
    if (this.noBody || status === 204 || status === 304) {
      this.finish()
    } else if (te !== undefined) {
      if (te.toLowerCase() !== 'chunked') throw new HttpProtocolError(`unsupported Transfer-Encoding ${JSON.stringify(te)}`)
      if (cl !== undefined) throw new HttpProtocolError('both Content-Length and Transfer-Encoding')
      this.state = 'size'
    } else if (cl !== undefined) {
      if (!/^\d{1,15}$/.test(cl)) throw new HttpProtocolError(`malformed Content-Length ${JSON.stringify(cl.slice(0, 40))}`)
      this.remaining = Number(cl)
      if (this.remaining === 0) this.finish()
      else this.state = 'length'
    } else {
      this.state = 'close'
    }
  }

  private onSize(line: string): void {
    const m = /^([0-9A-Fa-f]{1,12})[ \t]*(?:;.*)?$/.exec(line)
    if (!m) throw new HttpProtocolError(`bad chunk size ${JSON.stringify(line.slice(0, 40))}`)
    this.remaining = parseInt(m[1]!, 16)
    this.state = this.remaining === 0 ? 'trailers' : 'data'
  }
}
