// The admin HTTP API as the CLI speaks it: token resolution, streaming multipart upload, errors.
import { createReadStream, readFileSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { randomBytes } from 'node:crypto'

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
  const text = await res.text().catch(() => '')
  try {
    const body = JSON.parse(text) as { error?: { message?: string } }
    if (body.error?.message) return new CliError(body.error.message)
  } catch { /* not JSON */ }
  return new CliError(`${what}: HTTP ${res.status} ${text.slice(0, 200)}`)
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

/** Streams `file` as multipart/form-data; `onProgress` gets bytes sent so far. */
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
  async function* body(): AsyncGenerator<Uint8Array> {
    yield head
    let sent = 0
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
      sent += (chunk as Buffer).length
      onProgress?.(sent, size)
      yield chunk as Buffer
    }
    yield tail
  }
  const res = await call(client, path, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + size + tail.length) },
    body: body() as unknown as RequestInit["body"],
    duplex: 'half',
  })
  if (!res.ok) throw await failure(res, `${basename(file)}`)
  return (await res.json()) as T
}
