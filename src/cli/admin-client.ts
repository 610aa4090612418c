// The admin HTTP API as the CLI speaks it: token resolution, streaming multipart upload, errors.
import { createReadStream, readFileSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { safe } from './output.js'

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
    readonly serverUnavailable = false,
  ) {
    super(message)
  }
}

export interface ClientOptions {
  readonly url: string
  readonly token: string
}

export function resolveClient(opts: { url?: string; token?: string; dataDir?: string }): ClientOptions {
  const raw = opts.url ?? (process.env.AIRLOCK_URL || 'http://127.0.0.1:8080')
  let parsed: URL | undefined
  try {
    parsed = new URL(raw)
  } catch {
    /* below */
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !parsed.hostname) {
    throw new CliError(`invalid --url ${JSON.stringify(raw)}: expected the server's address, such as http://127.0.0.1:8080`, 2)
  }
  const url = raw.replace(/\/+$/, '')
  if (opts.token !== undefined && opts.token.trim() === '') {
    throw new CliError('--token is empty: give a token, or leave the flag out to read <data-dir>/admin.token', 2)
  }
  let token = opts.token ?? (process.env.AIRLOCK_TOKEN || undefined)
  if (!token) {
    const p = join(opts.dataDir ?? process.env.AIRLOCK_DATA_DIR ?? './data', 'admin.token')
    try {
      token = readFileSync(p, 'utf8').trim()
    } catch {
      throw new CliError(`no admin token: pass --token or AIRLOCK_TOKEN, or --data-dir of the server (no ${p})`, 2)
    }
  }
  return { url, token }
}

/** A file the operator named, as a sentence: missing, a directory, unreadable. */
export function fileProblem(file: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code
  const why =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EISDIR'
        ? 'it is a directory, not a file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'ENOTDIR'
            ? 'a part of the path is not a directory'
            : 'cannot read it'
  return `${file}: ${why}`
}

/** Why a request did not get an HTTP answer, as a sentence without the runtime's error codes. */
export function unreachable(url: string, err: unknown): CliError {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> } }
  const code = e.cause?.code ?? e.cause?.errors?.[0]?.code ?? e.code
  const host = (() => {
    try {
      return new URL(url).hostname
    } catch {
      return url
    }
  })()
  switch (code) {
    case 'ECONNREFUSED':
      return new CliError(`cannot reach ${url}: is \`airlock serve\` running there?`)
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return new CliError(`cannot reach ${url}: the host name ${JSON.stringify(host)} does not resolve`)
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new CliError(`cannot reach ${url}: no answer (is the address right, and no firewall in the way?)`)
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new CliError(`cannot reach ${url}: no route to ${host}`)
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return new CliError(`${url} closed the connection without an HTTP answer: is that the Airlock server's port?`)
    default:
      if (code?.startsWith('HPE_') || /parse|invalid.*(header|status|response)/i.test(e.cause?.message ?? e.message ?? '')) {
        return new CliError(`${url} does not answer in HTTP: is that the Airlock server's port?`)
      }
      if (code?.startsWith('ERR_TLS') || /certificate|SSL|TLS/i.test(e.cause?.message ?? '')) {
        return new CliError(`cannot reach ${url}: TLS failed (${(e.cause?.message ?? '').split('\n')[0]})`)
      }
      return new CliError(
        `cannot reach ${url}: the request failed (${(e.cause?.message ?? e.message ?? 'no reason given').split('\n')[0]})`,
      )
  }
}

export const notAirlock = (url: string, status: number, type: string | null): CliError =>
  new CliError(
    `${url} is not an Airlock server, or not this version of one (its admin API answered HTTP ${status}${type ? ` with ${type.split(';')[0]}` : ''})`,
  )

/** A non-2xx answer as one sentence: the server's own message, else what kind of server it is. */
export async function failure(client: ClientOptions, res: Response, what: string): Promise<CliError> {
  return failureText(client, res.status, res.headers.get('content-type'), await res.text().catch(() => ''), what)
}

function failureText(client: ClientOptions, status: number, type: string | null, text: string, what: string): CliError {
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } }
    // A name both a charm and a snap carry, given without --type, is a usage error. 503: the server
    // cannot take anything now (its database is down); nothing was changed.
    if (body.error?.message) return new CliError(safe(body.error.message), body.error.code === 'ambiguous' ? 2 : 1, status === 503)
  } catch {
    /* not JSON */
  }
  // Airlock's admin API answers every failure with its JSON envelope: anything else is another server.
  if (status === 404 || !type?.startsWith('application/json')) return notAirlock(client.url, status, type)
  return new CliError(`${what}: the server answered HTTP ${status}`)
}

async function call(client: ClientOptions, path: string, init: RequestInit & { duplex?: 'half' }): Promise<Response> {
  try {
    return await fetch(`${client.url}${path}`, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${client.token}` },
    })
  } catch (err) {
    throw unreachable(client.url, err)
  }
}

export async function getJson<T>(client: ClientOptions, path: string): Promise<T> {
  const res = await call(client, path, { method: 'GET' })
  if (!res.ok) throw await failure(client, res, `GET ${path}`)
  const text = await res.text()
  try {
    return JSON.parse(text) as T
  } catch {
    throw notAirlock(client.url, res.status, res.headers.get('content-type'))
  }
}

async function sendJson<T>(client: ClientOptions, method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const res = await call(
    client,
    path,
    body === undefined ? { method } : { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } },
  )
  if (!res.ok) throw await failure(client, res, `${method} ${path}`)
  const text = await res.text()
  try {
    return JSON.parse(text) as T
  } catch {
    throw notAirlock(client.url, res.status, res.headers.get('content-type'))
  }
}

export const postJson = <T>(client: ClientOptions, path: string, body: unknown): Promise<T> => sendJson<T>(client, 'POST', path, body)
export const deleteJson = <T>(client: ClientOptions, path: string): Promise<T> => sendJson<T>(client, 'DELETE', path)

/**
 * Streams `file` as multipart/form-data; `onProgress` gets bytes sent so far. Over node:http, not
 * fetch: fetch copies every chunk of a streamed request body (CPU taken from the server on the same
 * machine in the usual air-gapped setup), node:http writes the file's chunks as read.
 */
export async function uploadFile<T>(
  client: ClientOptions,
  path: string,
  file: string,
  onProgress?: (sent: number, total: number) => void,
): Promise<T> {
  let size: number
  try {
    const st = await stat(file)
    if (!st.isFile()) throw new CliError(`${file}: not a regular file`, 2)
    size = st.size
  } catch (err) {
    if (err instanceof CliError) throw err
    throw new CliError(fileProblem(file, err), 2)
  }
  const boundary = `airlock-${randomBytes(12).toString('hex')}`
  const name = basename(file).replace(/["\r\n]/g, '_')
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  )
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
  const url = new URL(`${client.url}${path}`)
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  const res = await new Promise<{ status: number; type: string | null; text: string }>((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${client.token}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(head.length + size + tail.length),
        },
      },
      (r) => {
        const parts: Buffer[] = []
        r.on('data', (c: Buffer) => parts.push(c))
        r.on('end', () =>
          resolve({ status: r.statusCode ?? 0, type: r.headers['content-type'] ?? null, text: Buffer.concat(parts).toString('utf8') }),
        )
        r.on('error', reject)
      },
    )
    req.on('error', (err: NodeJS.ErrnoException) => reject(unreachable(client.url, err)))
    const src = createReadStream(file, { highWaterMark: 1 << 20 })
    let sent = 0
    src.on('data', (c) => {
      sent += c.length
      onProgress?.(sent, size)
    })
    src.on('error', (err) => req.destroy(err))
    src.on('end', () => req.end(tail))
    req.write(head)
    src.pipe(req, { end: false })
  })
  if (res.status < 200 || res.status > 299) throw failureText(client, res.status, res.type, res.text, basename(file))
  try {
    return JSON.parse(res.text) as T
  } catch {
    throw notAirlock(client.url, res.status, res.type)
  }
}
