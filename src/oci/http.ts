// HTTP for the registry client, over node:http/https rather than fetch: Node 20's fetch cannot take
// an extra CA (--ca-file) without undici's Agent, and this gives streamed bodies with an exact
// Content-Length and keep-alive sockets shared by parallel uploads.
import http from 'node:http'
import https from 'node:https'
import { rootCertificates } from 'node:tls'
import type { Readable } from 'node:stream'

export interface HttpResponse {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly body: Buffer
}

export interface RequestInit {
  readonly method: string
  readonly headers?: Record<string, string>
  /** A Buffer, or a fresh stream (its errors abort the request and are what the caller sees). */
  readonly body?: Buffer | Readable
}

/** The registry could not be reached at all (refused, unknown host, TLS): no point trying other images. */
export class NetworkError extends Error {}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'EPROTO',
  'ERR_SSL_WRONG_VERSION_NUMBER',
])
const MAX_RESPONSE = 4 << 20

export interface Transport {
  request(url: URL, init: RequestInit): Promise<HttpResponse>
  close(): void
}

export function createTransport(opts: { ca?: Buffer | undefined; timeoutMs?: number }): Transport {
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 16 }),
    // An extra CA adds to the system roots; it does not replace them.
    'https:': new https.Agent({
      keepAlive: true,
      maxSockets: 16,
      ...(opts.ca ? { ca: [...rootCertificates, opts.ca.toString('utf8')] } : {}),
    }),
  }
  const timeout = opts.timeoutMs ?? 300_000

  function describe(err: NodeJS.ErrnoException, url: URL): Error {
    const code = err.code ?? ''
    const hint =
      TLS_CODES.has(code) || /certificate|ssl|tls/i.test(err.message)
        ? ' (a private CA needs --ca-file; a plain-http registry needs --insecure)'
        : // A TLS server hangs up on plain http (Go answers 400 and closes): the likely cause.
          url.protocol === 'http:' && (code.startsWith('HPE_') || code === 'ECONNRESET')
          ? ' (if the registry speaks https, drop --insecure)'
          : ''
    return new NetworkError(`cannot reach registry ${url.origin}: ${code || err.message}${hint}`)
  }

  return {
    request(url, init) {
      const mod = url.protocol === 'https:' ? https : http
      const agent = url.protocol === 'https:' ? agents['https:'] : agents['http:']
      return new Promise<HttpResponse>((resolve, reject) => {
        let bodyError: Error | undefined
        const stream = init.body && !Buffer.isBuffer(init.body) ? init.body : undefined
        const req = mod.request(url, { method: init.method, headers: init.headers, agent, timeout }, (res) => {
          const chunks: Buffer[] = []
          let n = 0
          res.on('data', (c: Buffer) => {
            n += c.length
            if (n <= MAX_RESPONSE) chunks.push(c)
          })
          res.on('end', () => {
            // The registry answered before taking the whole body (e.g. 401): that socket is spent.
            if (stream && !req.writableFinished) {
              stream.destroy()
              req.destroy()
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })
          })
          res.on('error', (err) => reject(bodyError ?? describe(err, url)))
        })
        req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })))
        req.on('error', (err) => reject(bodyError ?? describe(err, url)))
        if (!stream) {
          req.end(init.body)
          return
        }
        stream.on('error', (err) => {
          bodyError = err
          req.destroy(err)
        })
        stream.pipe(req)
      })
    },
    close() {
      agents['http:'].destroy()
      agents['https:'].destroy()
    },
  }
}
