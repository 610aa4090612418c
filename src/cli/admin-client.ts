// The admin HTTP API as the CLI speaks it: token resolution, streaming multipart upload, errors.
import { createReadStream, readFileSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'

export class CliError extends Error {
  constructor(message: string, readonly exitCode: 1 | 2 = 1) { super(message) }
}

export interface ClientOptions {
  readonly url: string
  readonly token: string
}

export function resolveClient(opts: { url?: string; token?: string; dataDir?: string }): ClientOptions {
  const url = (opts.url ?? process.env.AIRLOCK_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '')
  let token = opts.token ?? process.env.AIRLOCK_TOKEN
  if (!token) {
    const p = join(opts.dataDir ?? process.env.AIRLOCK_DATA_DIR ?? './data', 'admin.token')
    try { token = readFileSync(p, 'utf8').trim() } catch {
      throw new CliError(`no admin token: pass --token or AIRLOCK_TOKEN, or --data-dir of the server (no ${p})`, 2)
    }
  }
  return { url, token }
}

async function failure(res: Response, what: string): Promise<CliError> {
  return failureText(res.status, await res.text().catch(() => ''), what)
}

function failureText(status: number, text: string, what: string): CliError {
  try {
    const body = JSON.parse(text) as { error?: { message?: string } }
    if (body.error?.message) return new CliError(body.error.message)
  } catch { /* not JSON */ }
  return new CliError(`${what}: HTTP ${status} ${text.slice(0, 200)}`)
}

async function call(client: ClientOptions, path: string, init: RequestInit & { duplex?: 'half' }): Promise<Response> {
  try {
    return await fetch(`${client.url}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${client.token}` } })
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause
    throw new CliError(`cannot reach ${client.url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`)
  }
}

export async function getJson<T>(client: ClientOptions, path: string): Promise<T> {
  const res = await call(client, path, { method: 'GET' })
  if (!res.ok) throw await failure(res, `GET ${path}`)
  return (await res.json()) as T
}

/** POST with no body, for actions such as gc; the answer's JSON. */
export async function postJson<T>(client: ClientOptions, path: string): Promise<T> {
  const res = await call(client, path, { method: 'POST' })
  if (!res.ok) throw await failure(res, `POST ${path}`)
  return (await res.json()) as T
}

/**
 * Streams `file` as multipart/form-data; `onProgress` gets bytes sent so far. Over node:http, not
 * fetch: fetch copies every chunk of a streamed request body (about 3 s of CPU per GiB, on the same
 * machine as the server in the usual air-gapped setup), node:http writes the file's chunks as read.
 */
export async function uploadFile<T>(client: ClientOptions, path: string, file: string, onProgress?: (sent: number, total: number) => void): Promise<T> {
  let size: number
  try {
    const st = await stat(file)
    if (!st.isFile()) throw new CliError(`${file}: not a regular file`)
    size = st.size
  } catch (err) {
    if (err instanceof CliError) throw err
    throw new CliError(`${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
  }
  const boundary = `airlock-${randomBytes(12).toString('hex')}`
  const name = basename(file).replace(/["\r\n]/g, '_')
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`)
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
  const url = new URL(`${client.url}${path}`)
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = send(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${client.token}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + size + tail.length) },
    }, (r) => {
      const parts: Buffer[] = []
      r.on('data', (c: Buffer) => parts.push(c))
      r.on('end', () => resolve({ status: r.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }))
      r.on('error', reject)
    })
    req.on('error', (err: NodeJS.ErrnoException) => reject(new CliError(`cannot reach ${client.url}: ${err.code ?? err.message}`)))
    const src = createReadStream(file, { highWaterMark: 1 << 20 })
    let sent = 0
    src.on('data', (c) => { sent += c.length; onProgress?.(sent, size) })
    src.on('error', (err) => req.destroy(err))
    src.on('end', () => req.end(tail))
    req.write(head)
    src.pipe(req, { end: false })
  })
  if (res.status < 200 || res.status > 299) throw failureText(res.status, res.text, basename(file))
  return JSON.parse(res.text) as T
}
