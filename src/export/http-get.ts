// The download client: one plain HTTP/1.1 GET per connection on node:net or node:tls, its answer read by
// http-response.ts and handed to the caller chunk by chunk, synchronously, from the socket's own
// buffer. Blob downloads spend most of their time here, and Node's general-purpose HTTP clients cost
// more CPU per byte than the transfer itself (docs/decisions/0015-airlock-export.md). Redirects are
// the caller's: it decides whether to follow them (download.ts). TLS trusts what node:https trusts,
// the bundled roots plus NODE_EXTRA_CA_CERTS.
import { connect as netConnect, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { Transient, USER_AGENT } from './http.js'
import { HttpProtocolError, ResponseParser, TruncatedBody, type ResponseHead } from './http-response.js'

export interface GetAnswer {
  readonly status: number
  readonly headers: ReadonlyMap<string, string>
  readonly url: URL
  /**
   * Streams the body to `onChunk`, which must use the bytes before it returns (the buffer is
   * reused). Resolves once the whole body is in; a connection that ends early rejects (Transient).
   */
  body(onChunk: (chunk: Buffer) => void): Promise<void>
  /** Drops the connection without reading the body. */
  discard(): void
}

/** Bytes read from a plain connection at a time, into one buffer reused for the whole download. */
const READ_BUFFER = 1 << 20

function requestText(url: URL, headers: Readonly<Record<string, string>>): string {
  const lines = [
    `GET ${url.pathname}${url.search} HTTP/1.1`,
    `Host: ${url.host}`,
    `User-Agent: ${USER_AGENT}`,
    'Accept-Encoding: identity',
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ]
  for (const l of lines) if (/[\r\n]/.test(l)) throw new Error(`a request header holds a line break: ${JSON.stringify(l)}`)
  return lines.join('\r\n') + '\r\n\r\n'
}

/** Sends a GET for `url` and resolves with its status and headers once they are in. */
export function get(url: URL, headers: Readonly<Record<string, string>>, idleTimeoutMs: number): Promise<GetAnswer> {
  return new Promise((resolve, reject) => {
    let onChunk: ((chunk: Buffer) => void) | undefined
    /** Body bytes that arrived with the head, before the caller asked for the body. */
    const early: Buffer[] = []
    let bodyDone: { ok: () => void; fail: (err: Error) => void } | undefined
    let ended = false
    let failure: Error | undefined
    let answered = false

    const fail = (err: Error) => {
      if (failure) return
      failure = err
      socket.destroy()
      if (!answered) reject(err)
      else bodyDone?.fail(err)
    }
    const transient = (err: unknown): Error => {
      if (err instanceof Transient) return err
      if (err instanceof TruncatedBody || err instanceof HttpProtocolError) return new Transient(`${url.host}: ${err.message}`)
      const e = err as NodeJS.ErrnoException
      return new Transient(`cannot reach ${url.host}: ${e.code ?? e.message}`)
    }

    const parser = new ResponseParser({
      head: (head: ResponseHead) => {
        answered = true
        socket.pause()
        resolve({
          status: head.status,
          headers: head.headers,
          url,
          body: (fn) =>
            new Promise<void>((ok, failBody) => {
              if (failure) return failBody(failure)
              onChunk = fn
              bodyDone = { ok, fail: failBody }
              for (const c of early.splice(0)) fn(c)
              if (ended) ok()
              else socket.resume()
            }),
          discard: () => {
            ended = true
            socket.destroy()
          },
        })
      },
      body: (chunk) => {
        if (onChunk) onChunk(chunk)
        else early.push(Buffer.from(chunk))
      },
      end: () => {
        ended = true
        socket.end()
        bodyDone?.ok()
      },
    })

    const feed = (chunk: Buffer) => {
      if (failure || ended) return
      try {
        parser.push(chunk)
      } catch (err) {
        fail(err instanceof Error && !(err instanceof HttpProtocolError) ? err : transient(err))
      }
    }

    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80)
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
    let socket: Socket
    if (url.protocol === 'https:') {
      socket = tlsConnect({ host, port, servername: /^[\d.]+$|:/.test(host) ? undefined : host })
      socket.on('data', feed)
    } else {
      const buffer = Buffer.allocUnsafe(READ_BUFFER)
      socket = netConnect({
        host,
        port,
        onread: {
          buffer,
          callback: (n: number, buf: Uint8Array) => {
            feed((buf as Buffer).subarray(0, n))
            return !socket.isPaused()
          },
        },
      })
    }
    socket.setNoDelay(true)
    socket.setTimeout(idleTimeoutMs, () => fail(new Transient(`no data from ${url.host} for ${idleTimeoutMs / 1000} s`)))
    socket.on('error', (err) => fail(transient(err)))
    socket.on('end', () => {
      if (failure || ended) return
      try {
        parser.end()
      } catch (err) {
        fail(transient(err))
      }
    })
    socket.on('close', () => {
      if (!failure && !ended) fail(new Transient(`connection to ${url.host} lost`))
    })
    try {
      socket.write(requestText(url, headers))
    } catch (err) {
      fail(err as Error)
    }
  })
}
