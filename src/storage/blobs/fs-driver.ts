// The filesystem storage driver: a key is a path under `root`. put writes the key's file directly
// (callers only put fresh temporary keys), releasing each chunk once written, and fsyncs it; move is a rename, fsynced through the
// destination directory, so an object appears whole or not at all. Nothing outside `root` is
// reachable: every key is checked against the driver's key grammar before it touches the disk.
import { constants } from 'node:fs'
import { access, mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Readable } from 'node:stream'
import type { DriverObject, PutOptions, RandomAccessReader, StorageDriver } from './driver.js'
import { checkKey, isKeySegment } from './keys.js'

export interface FsDriver extends StorageDriver {
  readonly root: string
  /** The file holding `key` (unsquashfs needs a local file; only this driver has one to give). */
  localPath(key: string): string
}

export function createFsDriver(root: string): FsDriver {
  const pathOf = (key: string): string => join(root, ...checkKey(key).split('/'))

  return {
    kind: 'fs',
    root,
    localPath: pathOf,

    async put(key: string, body: Readable, opts?: PutOptions): Promise<void> {
      const p = pathOf(key)
      await mkdir(dirname(p), { recursive: true })
      const fh = await open(p, 'wx', 0o644)
      try {
        let at = 0
        for await (const chunk of body as AsyncIterable<Buffer>) {
          try {
            for (let o = 0; o < chunk.length;) o += (await fh.write(chunk, o, chunk.length - o, at + o)).bytesWritten
          } finally {
            // Written (or failed): the page cache has the bytes, the chunk's memory is the caller's again.
            opts?.release?.(chunk)
          }
          at += chunk.length
        }
        await fh.sync()
      } catch (err) {
        body.destroy()
        await fh.close().catch(() => {})
        await rm(p, { force: true })
        throw err
      }
      await fh.close()
    },

    async move(from: string, to: string): Promise<void> {
      const src = pathOf(from)
      const dest = pathOf(to)
      await mkdir(dirname(dest), { recursive: true })
      await rename(src, dest)
      await syncDir(dirname(dest))
    },

    async get(key: string, range?: { start: number; end: number }): Promise<Readable> {
      const fh = await open(pathOf(key), 'r')
      return fh.createReadStream(range ? { start: range.start, end: range.end } : {})
    },

    async reader(key: string): Promise<RandomAccessReader> {
      const fh = await open(pathOf(key), 'r')
      let size: number
      try {
        size = (await fh.stat()).size
      } catch (err) {
        await fh.close()
        throw err
      }
      return fileReader(fh, size)
    },

    async stat(key: string): Promise<DriverObject | undefined> {
      let p: string
      try {
        p = pathOf(key)
      } catch {
        return undefined
      }
      const st = await stat(p).catch(() => undefined)
      return st?.isFile() ? { key, size: st.size, modified: st.mtime } : undefined
    },

    async delete(key: string): Promise<void> {
      await rm(pathOf(key), { force: true })
    },

    list(prefix: string): AsyncIterable<DriverObject> {
      // Walk only below the deepest directory the prefix names, then filter by the prefix itself.
      const cut = prefix.lastIndexOf('/')
      const dir = cut < 0 ? '' : prefix.slice(0, cut)
      return (async function* () {
        if (dir !== '') checkKey(dir)
        yield* walk(root, dir, prefix)
      })()
    },

    async check(): Promise<void> {
      await mkdir(root, { recursive: true })
      await access(root, constants.W_OK | constants.X_OK)
    },

    async close(): Promise<void> {},
  }
}

export function fileReader(fh: FileHandle, size: number): RandomAccessReader {
  return {
    size,
    read: async (into, position, length) => (await fh.read(into, 0, length, position)).bytesRead,
    close: () => fh.close(),
  }
}

async function* walk(root: string, dir: string, prefix: string): AsyncIterable<DriverObject> {
  const entries = await readdir(join(root, ...(dir ? dir.split('/') : [])), { withFileTypes: true }).catch(() => [])
  for (const e of entries) {
    if (!isKeySegment(e.name)) continue
    const key = dir ? `${dir}/${e.name}` : e.name
    if (e.isDirectory()) {
      // Descend only where the prefix can still match below.
      if (prefix.startsWith(`${key}/`) || key.startsWith(prefix)) yield* walk(root, key, prefix)
    } else if (e.isFile() && key.startsWith(prefix)) {
      const st = await stat(join(root, ...key.split('/'))).catch(() => undefined)
      if (st?.isFile()) yield { key, size: st.size, modified: st.mtime }
    }
  }
}

/** Makes a rename durable: the directory entry is on disk once this resolves. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}
