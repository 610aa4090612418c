// Low-level builders for hostile import inputs: what the friendly builders in charm-builder.ts
// refuse to make (zip entries yazl will not name, lying zip headers), and big-but-cheap inputs
// (decompression bombs, archives with very many members, deep nesting), streamed so tests stay fast.
import { randomBytes } from 'node:crypto'
import { crc32, createGzip } from 'node:zlib'
import tar from 'tar-stream'
import { buildTar } from './charm-builder.js'

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const c of source) parts.push(c)
  return Buffer.concat(parts)
}

/**
 * Replaces every occurrence of the entry name `from` by `to` (same byte length) in a zip's local
 * headers and central directory. yazl refuses names such as `../evil` or `/etc/passwd`, so a
 * placeholder is built and renamed here. CRCs cover the data, not the names, so the zip stays valid.
 */
export function renameZipEntries(zip: Buffer, from: string, to: string): Buffer {
  const a = Buffer.from(from)
  const b = Buffer.from(to)
  if (a.length !== b.length) throw new Error(`renameZipEntries: ${from} and ${to} differ in length`)
  const out = Buffer.from(zip)
  let hits = 0
  for (let i = out.indexOf(a); i >= 0; i = out.indexOf(a, i + a.length)) {
    b.copy(out, i)
    hits++
  }
  if (hits === 0) throw new Error(`renameZipEntries: no entry named ${from}`)
  return out
}

/**
 * Makes the central directory of `zip` claim `size` uncompressed bytes for `entry` (a lie the
 * data does not back): the shape of a zip bomb as a reader first sees it.
 */
export function lieAboutZipEntrySize(zip: Buffer, entry: string, size: number): Buffer {
  const out = Buffer.from(zip)
  const name = Buffer.from(entry)
  for (let i = out.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); i >= 0; i = out.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), i + 4)) {
    const nameLength = out.readUInt16LE(i + 28)
    if (nameLength === name.length && out.subarray(i + 46, i + 46 + nameLength).equals(name)) {
      out.writeUInt32LE(size, i + 24)
      return out
    }
  }
  throw new Error(`lieAboutZipEntrySize: no central directory entry ${entry}`)
}

/**
 * A zip written by hand, entries stored (not deflated), in one pass: fast for very many entries
 * (yazl takes seconds for 20,000), and it writes whatever names and modes it is given.
 */
export function storedZip(entries: ReadonlyArray<{ name: string; data: Buffer | string; mode?: number }>): Buffer {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const e of entries) {
    const name = Buffer.from(e.name)
    const data = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data)
    const crc = crc32(data)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(0x0800, 6)
    local.writeUInt16LE(0, 8)
    local.writeUInt16LE(0, 10)
    local.writeUInt16LE(0x5821, 12) // 2024-01-01
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(data.length, 18)
    local.writeUInt32LE(data.length, 22)
    local.writeUInt16LE(name.length, 26)
    local.writeUInt16LE(0, 28)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE((3 << 8) | 20, 4)
    central.writeUInt16LE(20, 6)
    central.writeUInt16LE(0x0800, 8)
    central.writeUInt16LE(0, 10)
    central.writeUInt16LE(0, 12)
    central.writeUInt16LE(0x5821, 14)
    central.writeUInt32LE(crc, 16)
    central.writeUInt32LE(data.length, 20)
    central.writeUInt32LE(data.length, 24)
    central.writeUInt16LE(name.length, 28) // extra, comment, disk, internal attributes: 0
    central.writeUInt32LE(((e.mode ?? 0o100644) << 16) >>> 0, 38)
    central.writeUInt32LE(offset, 42)
    locals.push(local, name, data)
    centrals.push(central, name)
    offset += 30 + name.length + data.length
  }
  const cd = Buffer.concat(centrals)
  const eocd = Buffer.alloc(22)
  eocd.writeUInt32LE(0x06054b50, 0)
  eocd.writeUInt16LE(entries.length, 8)
  eocd.writeUInt16LE(entries.length, 10)
  eocd.writeUInt32LE(cd.length, 12)
  eocd.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, cd, eocd])
}

/** `count` chunks of 1 MiB of zeros. */
async function* zeros(mebibytes: number): AsyncGenerator<Buffer> {
  const chunk = Buffer.alloc(1 << 20)
  for (let i = 0; i < mebibytes; i++) yield chunk
}

/**
 * A gzipped tar holding one member `name` of `mebibytes` MiB of zeros: ~1 KiB packed per MiB,
 * so an unpacked/packed ratio near 1,000. Built as a stream; 200 MiB takes well under a second.
 */
export async function gzipBombTar(name: string, mebibytes: number): Promise<Buffer> {
  const pack = tar.pack()
  const gzip = createGzip({ level: 9 })
  const out = collect(pack.pipe(gzip) as AsyncIterable<Buffer>)
  const entry = pack.entry({ name, size: mebibytes << 20, mtime: new Date('2024-01-01T00:00:00Z'), mode: 0o644 })
  for await (const chunk of zeros(mebibytes)) {
    if (!entry.write(chunk)) await new Promise<void>((resolve) => entry.once('drain', () => resolve()))
  }
  entry.end(Buffer.alloc(0))
  pack.finalize()
  return out
}

/** An uncompressed tar of `count` empty regular files (f/00000 …). */
export async function manyMembersTar(count: number, opts: { gzip?: boolean } = {}): Promise<Buffer> {
  const pack = tar.pack()
  const out = collect((opts.gzip === false ? pack : pack.pipe(createGzip({ level: 1 }))) as AsyncIterable<Buffer>)
  const mtime = new Date('2024-01-01T00:00:00Z')
  const EMPTY = Buffer.alloc(0)
  for (let i = 0; i < count; i++) pack.entry({ name: `f/${String(i).padStart(5, '0')}`, size: 0, mtime, mode: 0o644 }, EMPTY)
  pack.finalize()
  return out
}

/**
 * `inner` wrapped in `levels` gzipped tars: level k holds `l<k+1>.tar.gz`, the innermost holds
 * `inner` as `innerName`. With the upload as level 1, the innermost archive is level `levels + 1`.
 */
export async function nestedTars(levels: number, innerName: string, inner: Buffer): Promise<Buffer> {
  let name = innerName
  let data = inner
  for (let level = levels; level >= 1; level--) {
    data = await buildTar([{ name, data }])
    name = `l${level}.tar.gz`
  }
  return data
}

/** The first `fraction` of `data`. */
export const truncated = (data: Buffer, fraction: number): Buffer => Buffer.from(data.subarray(0, Math.floor(data.length * fraction)))

/** Deterministic-length garbage (neither gzip nor tar magic). */
export function garbage(length: number): Buffer {
  const b = randomBytes(length)
  b[0] = 0x42 // never 0x1f 0x8b
  return b
}
