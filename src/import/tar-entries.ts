// The one safe, streaming walk over a (possibly gzipped) tar. Every member is checked before the
// visitor sees it: path rules, member type, duplicates, member count; decompressed bytes are charged
// to the export's UnpackBudget as they flow. Errors name the file and the member chain.
import { createGunzip } from 'node:zlib'
import { Readable, Transform } from 'node:stream'
import tar from 'tar-stream'
import type { ImportLimits } from '../config/schema.js'
import { CatalogError, InvalidInput, isBlobStoreUnavailable, type Location } from '../catalog/errors.js'
import { isGzip, isTar, peek } from './chunks.js'
import { checkMemberPath } from './member-path.js'
import type { UnpackBudget } from './budget.js'

export interface WalkContext {
  readonly file: string
  /** Member names from the outermost archive down to this one ([] for the uploaded file). */
  readonly chain: readonly string[]
  /** 1 for the uploaded file, +1 per nested archive. */
  readonly depth: number
  readonly limits: ImportLimits
  readonly budget: UnpackBudget
}

export interface TarMember {
  /** Normalised path inside its archive. */
  readonly path: string
  readonly size: number
  /** The member's bytes; the visitor must consume or drain them before returning. */
  readonly stream: Readable
  /** Location of this member, for errors. */
  readonly location: Location
  /** Context for walking this member as a nested archive. */
  readonly nested: WalkContext
}

const ALLOWED = new Set(['file', 'contiguous-file', 'directory'])

function counter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      try {
        onBytes(chunk.length)
        cb(null, chunk)
      } catch (err) {
        cb(err as Error)
      }
    },
  })
}

function describeStreamError(err: unknown, gz: boolean): string {
  const e = err as NodeJS.ErrnoException
  const msg = String(e?.message ?? err)
  if (e?.code === 'Z_BUF_ERROR' || /unexpected end/i.test(msg)) return `truncated ${gz ? 'gzip' : 'tar'} data (${msg})`
  if (typeof e?.code === 'string' && e.code.startsWith('Z_')) return `corrupt gzip data (${msg})`
  return `corrupt tar data (${msg})`
}

/** Walks the archive in `input`, calling `visit` for each regular file member in order. */
export async function walkTar(input: AsyncIterable<Buffer>, ctx: WalkContext, visit: (m: TarMember) => Promise<void>): Promise<void> {
  const here: Location = { file: ctx.file, member: ctx.chain }
  if (ctx.depth > ctx.limits.maxNestingDepth) {
    throw new InvalidInput(here, `archives nested deeper than ${ctx.limits.maxNestingDepth} levels (limit limits.max-nesting-depth)`)
  }
  const { head, stream } = await peek(input, 512)
  const gz = isGzip(head)
  if (!gz && !isTar(head)) {
    stream.destroy()
    throw new InvalidInput(here, head.length === 0 ? 'empty file, expected a .tar.gz archive' : 'not a gzip or tar archive')
  }
  let tarBytes: Readable = stream
  if (gz) {
    const gunzip = createGunzip({ chunkSize: 1 << 20 })
    const count = counter((n) => ctx.budget.addUnpacked(n, here))
    tarBytes = stream.pipe(gunzip).pipe(count)
    stream.on('error', (e) => gunzip.destroy(e))
    gunzip.on('error', (e) => count.destroy(e))
  }
  const extract = tar.extract()
  let streamError: unknown
  tarBytes.on('error', (e) => {
    streamError ??= e
    extract.destroy(e)
  })
  tarBytes.pipe(extract as unknown as NodeJS.WritableStream)

  const seen = new Set<string>()
  let members = 0
  try {
    for await (const entry of extract) {
      const header = entry.header
      const raw = header.name
      const chain = [...ctx.chain, raw]
      const loc: Location = { file: ctx.file, member: chain }
      if (++members > ctx.limits.maxMembers) {
        throw new InvalidInput(here, `more than ${ctx.limits.maxMembers} members (limit limits.max-members)`)
      }
      const checked = checkMemberPath(raw, ctx.limits)
      if ('problem' in checked) throw new InvalidInput(loc, checked.problem)
      if (!ALLOWED.has(header.type ?? 'file')) {
        throw new InvalidInput(loc, `${header.type} member refused: only regular files and directories are allowed`)
      }
      if (header.type === 'directory' || checked.path === '') {
        entry.resume()
        continue
      }
      if (seen.has(checked.path)) throw new InvalidInput(loc, 'the same member name appears twice')
      seen.add(checked.path)
      const body = Readable.from(entry as AsyncIterable<Buffer>)
      await visit({
        path: checked.path,
        size: header.size ?? 0,
        stream: body,
        location: loc,
        nested: { ...ctx, chain, depth: ctx.depth + 1 },
      })
      // Whatever the visitor left unread is skipped, so the walk can go on.
      if (!body.readableEnded)
        for await (const _ of body) {
          /* drain */
        }
    }
  } catch (err) {
    stream.destroy()
    extract.destroy()
    // When this archive's own bytes broke (truncated gzip, bomb), that is the cause, even if a
    // nested walk or a blob write noticed first and blamed the member it was reading.
    if (streamError instanceof CatalogError || isBlobStoreUnavailable(streamError)) throw streamError
    if (streamError) throw new InvalidInput(here, describeStreamError(streamError, gz))
    if (err instanceof CatalogError || isBlobStoreUnavailable(err)) throw err
    throw new InvalidInput(here, describeStreamError(err, gz))
  }
  if (streamError) {
    if (streamError instanceof CatalogError || isBlobStoreUnavailable(streamError)) throw streamError
    throw new InvalidInput(here, describeStreamError(streamError, gz))
  }
}
