// push-snap inputs. Export tarballs go up as they are. A `snap download` pair (X.snap + X.assert) is
// packed into a tar on the fly and sent as one multipart upload, so the server reads both kinds with
// the same tar walker and verifies the pair all or nothing; nothing is written to a temp file.
import { createReadStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { randomBytes } from 'node:crypto'
import { pipeline } from 'node:stream/promises'
import { CliError, failure, fileProblem, notAirlock, unreachable, type ClientOptions } from './admin-client.js'

export type SnapInput =
  { readonly kind: 'file'; readonly file: string } | { readonly kind: 'pair'; readonly snap: string; readonly assert: string }

/** What a file holds, by its first bytes (docs/protocol/export-formats.md §7), else its name: the server decides the rest. */
async function sniff(file: string): Promise<'snap' | 'assert' | 'other'> {
  let fh
  try {
    fh = await open(file, 'r')
  } catch {
    return 'other'
  } // uploadFile reports it, per file
  try {
    const head = Buffer.alloc(64)
    const { bytesRead } = await fh.read(head, 0, head.length, 0)
    const text = head.subarray(0, bytesRead).toString('latin1')
    if (text.startsWith('hsqs')) return 'snap'
    if (/^\n*type: /.test(text)) return 'assert'
    // Named like a pair member but not one: still send it as one, so the server refuses it by name.
    return file.endsWith('.snap') ? 'snap' : file.endsWith('.assert') ? 'assert' : 'other'
  } finally {
    await fh.close()
  }
}

const stem = (file: string): string => basename(file).replace(/\.[^.]*$/, '')

/**
 * Groups the command line: squashfs files pair with assertion files of the same stem (as `snap
 * download` names them), or with the only one left over; everything else is an export to upload alone.
 * An unpaired snap or assertion file is a usage error (exit 2), found before anything is uploaded.
 */
export async function groupSnapInputs(files: readonly string[]): Promise<SnapInput[]> {
  const kinds = await Promise.all(files.map(sniff))
  const snaps = files.filter((_, i) => kinds[i] === 'snap')
  const asserts = files.filter((_, i) => kinds[i] === 'assert')
  const pairOf = new Map<string, string>()
  for (const s of snaps) {
    const a = asserts.find((x) => stem(x) === stem(s) && ![...pairOf.values()].includes(x))
    if (a) pairOf.set(s, a)
  }
  const lonelySnaps = snaps.filter((s) => !pairOf.has(s))
  const lonelyAsserts = asserts.filter((a) => ![...pairOf.values()].includes(a))
  if (lonelySnaps.length === 1 && lonelyAsserts.length === 1) pairOf.set(lonelySnaps[0]!, lonelyAsserts[0]!)
  else if (lonelySnaps.length > 0)
    throw new CliError(`${lonelySnaps[0]}: a snap needs its assertions: give its .assert file too (snap download writes both)`, 2)
  else if (lonelyAsserts.length > 0) throw new CliError(`${lonelyAsserts[0]}: assertions without their snap: give the .snap file too`, 2)
  const out: SnapInput[] = []
  for (let i = 0; i < files.length; i++) {
    const f = files[i]!
    if (kinds[i] === 'other') out.push({ kind: 'file', file: f })
    else if (pairOf.has(f)) out.push({ kind: 'pair', snap: f, assert: pairOf.get(f)! })
  }
  return out
}

/** Member names inside the packed tar: the base names, kept apart if they happen to be equal. */
export function pairMembers(p: { snap: string; assert: string }): [string, string] {
  const s = basename(p.snap)
  const a = basename(p.assert)
  return [s, a === s ? `${a}.assert` : a]
}

/**
 * The server names a pair's upload after the .snap and the member next; say the paths the operator
 * typed instead: "x.snap: x.assert: problem" → "dir/x.assert: problem".
 */
export function explainPairError(p: { snap: string; assert: string }, message: string): string {
  const [sm, am] = pairMembers(p)
  const rest = message.startsWith(`${sm}: `) ? message.slice(sm.length + 2) : message
  if (rest.startsWith(`${am}: `)) return `${p.assert}: ${rest.slice(am.length + 2)}`
  if (rest.startsWith(`${sm}: `)) return `${p.snap}: ${rest.slice(sm.length + 2)}`
  return `${p.snap}: ${rest}`
}

/** Streams the pair as a tar inside multipart/form-data (chunked: the tar's size is not computed). */
export async function uploadPair<T>(
  client: ClientOptions,
  path: string,
  p: { snap: string; assert: string },
  onProgress?: (sent: number, total: number) => void,
): Promise<T> {
  const members = pairMembers(p)
  const files = [p.snap, p.assert]
  const sizes: number[] = []
  for (const f of files) {
    try {
      sizes.push((await stat(f)).size)
    } catch (err) {
      throw new CliError(fileProblem(f, err), 2)
    }
  }
  const total = sizes.reduce((a, b) => a + b, 0)
  // Loaded here, not at start-up: only push-snap with .snap/.assert pairs packs a tar.
  const { default: tar } = await import('tar-stream')
  const pack = tar.pack()
  let readError: CliError | undefined
  void (async () => {
    for (let i = 0; i < files.length; i++) {
      const entry = pack.entry({ name: members[i]!, size: sizes[i]!, mode: 0o644, mtime: new Date(0) })
      try {
        await pipeline(createReadStream(files[i]!, { highWaterMark: 1 << 20 }), entry)
      } catch (err) {
        readError = new CliError(fileProblem(files[i]!, err))
        throw err
      }
    }
    pack.finalize()
  })().catch((err: unknown) => pack.destroy(err as Error))
  const boundary = `airlock-${randomBytes(12).toString('hex')}`
  const name = members[0].replace(/["\r\n]/g, '_')
  async function* body(): AsyncGenerator<Uint8Array> {
    yield Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/x-tar\r\n\r\n`,
    )
    let sent = 0
    for await (const chunk of pack as AsyncIterable<Buffer>) {
      sent += chunk.length
      onProgress?.(Math.min(sent, total), total)
      yield chunk
    }
    yield Buffer.from(`\r\n--${boundary}--\r\n`)
  }
  let res: Response
  try {
    res = await fetch(`${client.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, authorization: `Bearer ${client.token}` },
      body: body() as unknown as RequestInit['body'],
      duplex: 'half',
    } as RequestInit & { duplex: 'half' })
  } catch (err) {
    if (readError) throw readError
    throw unreachable(client.url, err)
  }
  if (!res.ok) throw await failure(client, res, members[0])
  const text = await res.text()
  try {
    return JSON.parse(text) as T
  } catch {
    throw notAirlock(client.url, res.status, res.headers.get('content-type'))
  }
}
