// The export's HTTP client for the store APIs and their download hosts. Transient failures (network
// errors, timeouts, 429 and 5xx, honouring Retry-After) are retried a bounded number of times with
// back-off; redirects are followed for GETs only, with a loop bound (the public stores send downloads
// to a CDN host). The JSON API is never redirected: Go clients would turn a redirected POST into a GET.
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { setTimeout as sleep } from 'node:timers/promises'
import { VERSION } from '../version.js'
import { ExportError } from './errors.js'

export interface HttpOptions {
  /** Tries per request for transient failures. */
  readonly attempts: number
  /** First back-off when the server gives no Retry-After; doubles on each retry. */
  readonly backoffMs: number
  /** Longest wait a Retry-After may ask for before the export gives up instead. */
  readonly maxRetryAfterMs: number
  /** Idle time on a socket before the attempt counts as failed. */
  readonly idleTimeoutMs: number
  readonly maxRedirects: number
  /** Largest JSON answer read into memory. */
  readonly maxJsonBytes: number
}

export const DEFAULT_HTTP: HttpOptions = {
  attempts: 5,
  backoffMs: 1000,
  maxRetryAfterMs: 60_000,
  idleTimeoutMs: 30_000,
  maxRedirects: 10,
  maxJsonBytes: 64 << 20,
}

export const USER_AGENT = `airlock-export/${VERSION}`

/** A failure worth another attempt; `retryAfterMs` is the server's own Retry-After. */
export class Transient extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message)
  }
}

function retryAfter(v: string | string[] | undefined): number | undefined {
  if (typeof v !== 'string' || v.trim() === '') return undefined
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000
  const t = Date.parse(v)
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now())
}

/** 429 and 5xx are the server asking to be tried again later. */
export function transientAnswer(status: number, retryAfterHeader: string | string[] | undefined, url: URL): Transient | undefined {
  if (status !== 429 && (status < 500 || status > 599)) return undefined
  return new Transient(`${url.host} answered HTTP ${status}`, retryAfter(retryAfterHeader))
}

export function transientStatus(res: IncomingMessage, url: URL): Transient | undefined {
  return transientAnswer(res.statusCode ?? 0, res.headers['retry-after'], url)
}

function once(
  method: string,
  url: URL,
  headers: OutgoingHttpHeaders,
  body: Buffer | undefined,
  opts: HttpOptions,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest
    const req = send(
      url,
      { method, headers: { 'user-agent': USER_AGENT, ...headers, ...(body ? { 'content-length': body.length } : {}) } },
      resolve,
    )
    // The request's socket timeout also covers the response body as it streams; the agent clears it
    // when the socket goes back to the pool, so kept-alive sockets do not collect listeners.
    req.setTimeout(opts.idleTimeoutMs, () => req.destroy(new Transient(`no data from ${url.host} for ${opts.idleTimeoutMs / 1000} s`)))
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(err instanceof Transient ? err : new Transient(`cannot reach ${url.host}: ${err.code ?? err.message}`)),
    )
    req.end(body)
  })
}

/** Sends one request, following GET redirects. The caller consumes or discards the body. */
export async function send(
  method: 'GET' | 'POST',
  target: string,
  headers: OutgoingHttpHeaders,
  body: Buffer | undefined,
  opts: HttpOptions,
): Promise<{ res: IncomingMessage; url: URL }> {
  let url = parseUrl(target)
  for (let hops = 0; ; hops++) {
    const res = await once(method, url, headers, body, opts)
    const s = res.statusCode ?? 0
    if (s >= 300 && s < 400 && s !== 304 && res.headers.location) {
      res.resume()
      if (method !== 'GET') throw new ExportError(`${url.href} answered ${method} with a redirect (HTTP ${s}); a store API never does`)
      if (hops >= opts.maxRedirects) throw new ExportError(`more than ${opts.maxRedirects} redirects from ${target} (a redirect loop?)`)
      url = parseUrl(res.headers.location, url)
      continue
    }
    return { res, url }
  }
}

export function parseUrl(s: string, base?: URL): URL {
  let url: URL
  try {
    url = new URL(s, base)
  } catch {
    throw new ExportError(`not a URL: ${JSON.stringify(s)}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ExportError(`not an http(s) URL: ${url.href}`)
  return url
}

/** Runs `attempt` until it succeeds, fails for good, or the attempts run out. */
export async function withRetries<T>(opts: HttpOptions, attempt: (n: number) => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n)
    } catch (err) {
      if (!(err instanceof Transient)) throw err
      const wait = err.retryAfterMs ?? opts.backoffMs * 2 ** (n - 1)
      if (n >= opts.attempts) throw new ExportError(`${err.message} (gave up after ${n} attempt${n === 1 ? '' : 's'})`)
      if (wait > opts.maxRetryAfterMs) throw new ExportError(`${err.message}, and asks to wait ${Math.ceil(wait / 1000)} s`)
      await sleep(wait)
    }
  }
}

async function readBody(res: IncomingMessage, limit: number, url: URL): Promise<Buffer> {
  const parts: Buffer[] = []
  let size = 0
  try {
    for await (const c of res as AsyncIterable<Buffer>) {
      size += c.length
      if (size > limit) {
        res.destroy()
        throw new ExportError(`${url.href}: answer larger than ${limit} bytes`)
      }
      parts.push(c)
    }
  } catch (err) {
    if (err instanceof ExportError || err instanceof Transient) throw err
    throw new Transient(`connection to ${url.host} lost while reading the answer`)
  }
  return Buffer.concat(parts)
}

export interface JsonAnswer {
  readonly status: number
  readonly json: unknown
  readonly url: URL
}

/** A JSON request with retries. Any 2xx/4xx answer is returned parsed; JSON that does not parse fails. */
export async function requestJson(
  method: 'GET' | 'POST',
  target: string,
  body: unknown,
  headers: OutgoingHttpHeaders,
  opts: HttpOptions,
): Promise<JsonAnswer> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body) + '\n')
  return withRetries(opts, async () => {
    const { res, url } = await send(
      method,
      target,
      { accept: 'application/json', ...(payload ? { 'content-type': 'application/json' } : {}), ...headers },
      payload,
      opts,
    )
    const t = transientStatus(res, url)
    if (t) {
      res.resume()
      throw t
    }
    const text = (await readBody(res, opts.maxJsonBytes, url)).toString('utf8')
    try {
      return { status: res.statusCode ?? 0, json: JSON.parse(text) as unknown, url }
    } catch {
      throw new ExportError(`malformed JSON from ${url.href} (HTTP ${res.statusCode}): ${JSON.stringify(text.slice(0, 60))}`)
    }
  })
}

/** A small non-JSON GET (assertions): the body on 200, undefined on 404. */
export async function getText(target: string, headers: OutgoingHttpHeaders, opts: HttpOptions): Promise<Buffer | undefined> {
  return withRetries(opts, async () => {
    const { res, url } = await send('GET', target, headers, undefined, opts)
    const t = transientStatus(res, url)
    if (t) {
      res.resume()
      throw t
    }
    if (res.statusCode === 404) {
      res.resume()
      return undefined
    }
    if (res.statusCode !== 200) {
      res.resume()
      throw new ExportError(`${url.href} answered HTTP ${res.statusCode}`)
    }
    return readBody(res, opts.maxJsonBytes, url)
  })
}

/** The store's own words from an error answer ({"error-list":[{code,message}]}), when it has them. */
export function storeErrorText(json: unknown): string | undefined {
  const list = (json as { 'error-list'?: unknown } | null)?.['error-list']
  if (!Array.isArray(list) || list.length === 0) return undefined
  return list.map((e: { code?: unknown; message?: unknown }) => `${String(e?.code ?? 'error')}: ${String(e?.message ?? '')}`).join('; ')
}
