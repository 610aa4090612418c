// Where an export is assembled: a hidden directory inside the export dir (same file system, so the
// finished tarballs are hard-linked into place, never copied). Nothing appears under its final name until
// every download has been verified and every tarball written; a failure, SIGINT or SIGTERM removes
// the directory and everything in it.
import { rmSync } from 'node:fs'
import { access, constants, link, mkdir, mkdtemp, rm, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { ExportError } from './errors.js'

const active = new Set<Staging>()

/** Removes every unfinished export at once; for signal handlers, where nothing async can run. */
export function abandonAll(): void {
  for (const s of active) s.abandonSync()
}

export class Staging {
  private readonly published: string[] = []

  private constructor(
    readonly exportDir: string,
    readonly dir: string,
  ) {}

  static async create(exportDir: string): Promise<Staging> {
    const abs = resolve(exportDir)
    try {
      if (!(await stat(abs)).isDirectory()) throw new ExportError(`--export-dir ${exportDir}: not a directory`)
      await access(abs, constants.W_OK | constants.X_OK)
      const s = new Staging(abs, await mkdtemp(join(abs, '.airlock-export-')))
      active.add(s)
      return s
    } catch (err) {
      if (err instanceof ExportError) throw err
      const code = (err as NodeJS.ErrnoException).code
      throw new ExportError(
        `--export-dir ${exportDir}: ${code === 'ENOENT' ? 'no such directory' : code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'not writable' : (err as Error).message}`,
      )
    }
  }

  /** A path inside the staging directory, its parent created. */
  async path(...parts: string[]): Promise<string> {
    const p = join(this.dir, ...parts)
    await mkdir(dirname(p), { recursive: true })
    return p
  }

  /** Drops staged files already packed into a tarball, so the export needs about twice its size on disk, not more. */
  async discard(paths: readonly string[]): Promise<void> {
    await Promise.all(paths.map((p) => rm(p, { recursive: true, force: true })))
  }

  /**
   * Gives finished tarballs their final names, all or none. Hard links, not renames, so a file of
   * the same name (another run in the same second) is refused rather than replaced.
   */
  async publish(files: ReadonlyArray<{ staged: string; name: string }>): Promise<string[]> {
    let final = ''
    try {
      for (const f of files) {
        final = join(this.exportDir, f.name)
        await link(f.staged, final)
        this.published.push(final)
      }
      return [...this.published]
    } catch (err) {
      await Promise.all(this.published.map((p) => rm(p, { force: true })))
      this.published.length = 0
      const code = (err as NodeJS.ErrnoException).code
      throw new ExportError(
        code === 'EEXIST'
          ? `${final} already exists; nothing was written`
          : `cannot write the finished tarballs into ${this.exportDir}: ${(err as Error).message}`,
      )
    }
  }

  async close(): Promise<void> {
    active.delete(this)
    await rm(this.dir, { recursive: true, force: true })
  }

  abandonSync(): void {
    active.delete(this)
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** "20240426T163115": the UTC second every tarball of one run shares. */
export function exportTimestamp(now = new Date()): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '')
}
