// Locates the members of an uncompressed tar by offset, reading only the 512-byte headers (and pax
// records), so a multi-GiB image archive is indexed without reading a layer. Blobs are then streamed
// straight from the archive file: nothing is extracted, nothing is held in memory.
import { open, type FileHandle } from 'node:fs/promises'

export interface TarMember {
  readonly name: string
  readonly type: 'file' | 'directory' | 'symlink' | 'link' | 'other'
  readonly offset: number
  readonly size: number
  readonly linkname: string
}

export interface TarIndex {
  readonly members: ReadonlyMap<string, TarMember>
  /** Set when the walk stopped early on a damaged or truncated archive; members before it are usable. */
  readonly problem?: string
}

export class ArchiveError extends Error {}

const BLOCK = 512

function cstr(buf: Buffer, start: number, len: number): string {
  const end = buf.indexOf(0, start)
  return buf.toString('utf8', start, end < 0 || end > start + len ? start + len : end)
}

function octal(buf: Buffer, start: number, len: number): number {
  // GNU base-256 for sizes of 8 GiB and more: high bit set, big-endian binary after it.
  if (buf[start]! & 0x80) {
    let n = buf[start]! & 0x7f
    for (let i = 1; i < len; i++) n = n * 256 + buf[start + i]!
    return n
  }
  const text = cstr(buf, start, len).trim()
  if (text === '') return 0
  if (!/^[0-7]+$/.test(text)) return NaN
  return parseInt(text, 8)
}

function checksumOk(h: Buffer): boolean {
  const stored = octal(h, 148, 8)
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!
  return stored === sum
}

/** pax extended header records: "<len> key=value\n". */
function parsePax(buf: Buffer): Record<string, string> {
  const out: Record<string, string> = {}
  let pos = 0
  while (pos < buf.length) {
    const sp = buf.indexOf(0x20, pos)
    const len = parseInt(buf.toString('ascii', pos, sp), 10)
    if (sp < 0 || !Number.isSafeInteger(len) || len <= 0 || pos + len > buf.length) throw new ArchiveError('malformed pax header')
    const record = buf.toString('utf8', sp + 1, pos + len - 1)
    const eq = record.indexOf('=')
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1)
    pos += len
  }
  return out
}

const TYPES: Record<string, TarMember['type']> = { '0': 'file', '\0': 'file', '7': 'file', '5': 'directory', '2': 'symlink', '1': 'link' }

async function readAt(fh: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length)
  const { bytesRead } = await fh.read(buf, 0, length, offset)
  return buf.subarray(0, bytesRead)
}

/** Indexes `file`; throws ArchiveError when it is not a tar at all (or is compressed). */
export async function indexTar(file: string): Promise<TarIndex> {
  const fh = await open(file, 'r')
  try {
    const fileSize = (await fh.stat()).size
    const members = new Map<string, TarMember>()
    let pos = 0
    let pax: Record<string, string> = {}
    let longName: string | undefined
    let longLink: string | undefined
    const stop = (problem: string): TarIndex => {
      if (members.size === 0) throw new ArchiveError(problem)
      return { members, problem }
    }
    const magic = await readAt(fh, 0, 2)
    if (magic[0] === 0x1f && magic[1] === 0x8b)
      throw new ArchiveError('gzip-compressed: decompress it first (skopeo and docker save write plain tar)')
    for (;;) {
      if (pos + BLOCK > fileSize)
        return pos === fileSize && pos > 0 ? { members } : stop(`truncated at byte ${pos} (no end-of-archive marker)`)
      const h = await readAt(fh, pos, BLOCK)
      if (h.every((b) => b === 0)) return { members }
      if (!checksumOk(h)) return stop(`not a tar archive or damaged: bad header checksum at byte ${pos}`)
      const flag = String.fromCharCode(h[156]!)
      const meta = flag === 'x' || flag === 'L' || flag === 'K' || flag === 'g'
      // A pax "size" record overrides the header's (members of 8 GiB and more).
      const size = !meta && pax.size !== undefined ? Number(pax.size) : octal(h, 124, 12)
      if (!Number.isSafeInteger(size) || size < 0) return stop(`bad member size in the header at byte ${pos}`)
      const dataStart = pos + BLOCK
      if (dataStart + size > fileSize)
        return stop(`truncated: member ${cstr(h, 0, 100)} needs ${size} bytes at byte ${dataStart}, the file has ${fileSize}`)
      const next = dataStart + Math.ceil(size / BLOCK) * BLOCK
      if (flag === 'x' || flag === 'L' || flag === 'K') {
        if (size > 1 << 20) return stop(`oversized ${flag} header at byte ${pos}`)
        const body = await readAt(fh, dataStart, size)
        if (flag === 'x') pax = parsePax(body)
        else if (flag === 'L') longName = cstr(body, 0, body.length)
        else longLink = cstr(body, 0, body.length)
        pos = next
        continue
      }
      if (flag !== 'g') {
        const ustar = h.toString('ascii', 257, 262) === 'ustar'
        const prefix = ustar ? cstr(h, 345, 155) : ''
        const raw = pax.path ?? longName ?? (prefix ? `${prefix}/${cstr(h, 0, 100)}` : cstr(h, 0, 100))
        const name = raw.replace(/^(\.\/)+/, '').replace(/\/+$/, '')
        members.set(name, {
          name,
          type: TYPES[flag] ?? 'other',
          offset: dataStart,
          size,
          linkname: pax.linkpath ?? longLink ?? cstr(h, 157, 100),
        })
      }
      pax = {}
      longName = undefined
      longLink = undefined
      pos = next
    }
  } finally {
    await fh.close()
  }
}

/** Reads a small member whole (manifests, configs, index.json), refusing anything over `max` bytes. */
export async function readMember(file: string, m: TarMember, max: number): Promise<Buffer> {
  if (m.size > max) throw new ArchiveError(`member ${m.name} is ${m.size} bytes, more than the ${max} expected`)
  const fh = await open(file, 'r')
  try {
    const buf = await readAt(fh, m.offset, m.size)
    if (buf.length !== m.size) throw new ArchiveError(`member ${m.name} is truncated`)
    return buf
  } finally {
    await fh.close()
  }
}
