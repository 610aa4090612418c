// Safe reading of a zip (a .charm or a bundle) already in the blob store, through random reads of its
// blob (whatever the storage driver, no local file needed): every entry's path is
// checked, duplicates, symlinks and too many entries are refused, declared sizes are charged to the
// export's budget, and the few small files we read are size-checked by yauzl as they inflate.
import { Readable } from 'node:stream'
import yauzl, { type Entry, type ZipFile } from 'yauzl'
import type { BlobFile } from '../storage/blobs/blob-store.js'
import type { ImportLimits } from '../config/schema.js'
import { InvalidInput, isBlobStoreUnavailable, type Location } from '../catalog/errors.js'
import { readAllLimited } from './chunks.js'
import { checkMemberPath } from './member-path.js'
import type { UnpackBudget } from './budget.js'

const S_IFMT = 0o170000
const S_IFLNK = 0o120000
const S_IFREG = 0o100000
const S_IFDIR = 0o040000
const SPECIAL: Record<number, string> = { 0o010000: 'FIFO', 0o020000: 'character-device', 0o060000: 'block-device', 0o140000: 'socket' }

export interface ZipIndex {
  /** Normalised entry path → entry, regular files only. */
  readonly files: ReadonlyMap<string, Entry>
  read(path: string): Promise<Buffer | undefined>
  close(): void
}

/** Bytes per random read while yauzl streams an entry or scans the central directory. */
const READ_BYTES = 64 << 10

/** yauzl's reader over a blob file; closing the zip closes the file. */
class BlobFileReader extends yauzl.RandomAccessReader {
  constructor(private readonly file: BlobFile) {
    super()
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const file = this.file
    let at = start
    return new Readable({
      read() {
        if (at >= end) {
          this.push(null)
          return
        }
        const buf = Buffer.allocUnsafe(Math.min(READ_BYTES, end - at))
        file.read(buf, at, buf.length).then(
          (n) => {
            if (n === 0) {
              this.destroy(new Error(`blob ends before byte ${at}`))
              return
            }
            at += n
            this.push(buf.subarray(0, n))
          },
          (err: Error) => this.destroy(err),
        )
      },
    })
  }

  override close(callback: (err: Error | null) => void): void {
    this.file.close().then(() => callback(null), callback)
  }
}

function openZip(file: BlobFile, size: number): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    // decodeStrings off: with it on, yauzl refuses `..` and absolute names itself, as a corrupt zip
    // that names no entry; we decode names below and apply our own rules, naming the entry.
    yauzl.fromRandomAccessReader(
      new BlobFileReader(file),
      size,
      { lazyEntries: true, autoClose: false, validateEntrySizes: true, decodeStrings: false },
      (err, zip) => (err ? reject(err) : resolve(zip)),
    )
  })
}

/** Indexes the zip in `file` (`packedSize` bytes long); the index's close() closes `file`. */
export async function indexZip(
  file: BlobFile,
  packedSize: number,
  where: Location,
  limits: ImportLimits,
  budget: UnpackBudget,
): Promise<ZipIndex> {
  let zip: ZipFile
  try {
    zip = await openZip(file, packedSize)
  } catch (err) {
    await file.close()
    if (isBlobStoreUnavailable(err)) throw err
    throw new InvalidInput(where, `not a valid zip archive (${(err as Error).message})`)
  }
  const files = new Map<string, Entry>()
  const names = new Set<string>()
  let declared = 0
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', (err: Error) =>
        reject(isBlobStoreUnavailable(err) ? err : new InvalidInput(where, `corrupt zip archive (${err.message})`)),
      )
      zip.on('end', () => resolve())
      zip.on('entry', (entry: Entry) => {
        try {
          // Raw bytes with decodeStrings off: decode as yauzl would (UTF-8 flag, Info-ZIP unicode path, CP437).
          entry.fileName = yauzl.getFileNameLowLevel(
            entry.generalPurposeBitFlag,
            entry.fileName as unknown as Buffer,
            entry.extraFields,
            false,
          )
          const loc: Location = { ...where, member: [...(where.member ?? []), entry.fileName] }
          if (names.size >= limits.maxMembers)
            throw new InvalidInput(where, `more than ${limits.maxMembers} zip entries (limit limits.max-members)`)
          const checked = checkMemberPath(entry.fileName, limits)
          if ('problem' in checked) throw new InvalidInput(loc, checked.problem)
          const isDir = entry.fileName.endsWith('/')
          const key = checked.path + (isDir ? '/' : '')
          if (names.has(key)) throw new InvalidInput(loc, 'the same entry name appears twice')
          names.add(key)
          const mode = (entry.externalFileAttributes >>> 16) & S_IFMT
          if (mode === S_IFLNK) throw new InvalidInput(loc, 'symlink entry refused')
          if (mode !== 0 && mode !== S_IFREG && mode !== S_IFDIR)
            throw new InvalidInput(loc, `${SPECIAL[mode] ?? 'special file'} entry refused: only regular files and directories are allowed`)
          declared += entry.uncompressedSize
          if (declared > limits.maxUnpackedBytes) {
            throw new InvalidInput(
              where,
              `zip declares more than ${limits.maxUnpackedBytes} unpacked bytes (limit limits.max-unpacked-bytes)`,
            )
          }
          if (declared > limits.ratioGraceBytes && declared > packedSize * limits.maxExpansionRatio) {
            throw new InvalidInput(
              where,
              `zip expands more than ${limits.maxExpansionRatio}x: refused as a decompression bomb (limit limits.max-expansion-ratio)`,
            )
          }
          if (!isDir && checked.path !== '') files.set(checked.path, entry)
          zip.readEntry()
        } catch (err) {
          reject(err)
        }
      })
      zip.readEntry()
    })
  } catch (err) {
    zip.close()
    throw err
  }

  // yauzl closes the reader (and so the blob file) once its last entry stream is gone: every entry
  // stream is destroyed after use, and the zip closed once, however often close() is called.
  let closed = false
  return {
    files,
    close: () => {
      if (closed) return
      closed = true
      zip.close()
    },
    async read(p: string): Promise<Buffer | undefined> {
      const entry = files.get(p)
      if (!entry) return undefined
      const loc: Location = { ...where, member: [...(where.member ?? []), entry.fileName] }
      if (entry.uncompressedSize > limits.maxMetadataBytes) {
        throw new InvalidInput(loc, `larger than ${limits.maxMetadataBytes} bytes (limit limits.max-metadata-bytes)`)
      }
      let stream: Readable | undefined
      try {
        stream = await new Promise<Readable>((resolve, reject) => zip.openReadStream(entry, (err, s) => (err ? reject(err) : resolve(s))))
        const buf = await readAllLimited(
          stream as AsyncIterable<Buffer>,
          limits.maxMetadataBytes,
          () => new InvalidInput(loc, 'inflates past its declared size'),
        )
        budget.addUnpacked(buf.length, loc)
        return buf
      } catch (err) {
        if (err instanceof InvalidInput || isBlobStoreUnavailable(err)) throw err
        throw new InvalidInput(loc, `cannot be read from the zip (${(err as Error).message})`)
      } finally {
        stream?.destroy()
      }
    },
  }
}
