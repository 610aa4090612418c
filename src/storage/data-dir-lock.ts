// One process per embedded data dir. PGlite has no lock of its own: two servers on one data dir would
// both write the same database files and corrupt them. The lock is a file holding the owner's pid and
// its start time; it is stale (and taken over) when that process no longer runs, so a lock left by a
// kill -9 never blocks the next start. The start time, read from /proc, tells a reused pid apart
// (a container restarted with the same pid 1, say). docs/decisions/0011.
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const lockPath = (dataDir: string): string => join(dataDir, 'airlock.lock')

export interface LockOwner {
  readonly pid: number
  /** Clock ticks since boot at which the process started (/proc/PID/stat field 22); null where there is no /proc. */
  readonly startTicks: string | null
  readonly command: string
  readonly startedAt: string
}

/** The data dir is held by another live process. */
export class DataDirInUse extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner,
  ) {
    super(
      `the data dir ${dataDir} is in use by process ${owner.pid} (${owner.command}, started ${owner.startedAt}); ` +
        'stop that process first, or give this one another --data-dir',
    )
  }
}

function startTicksOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null
  } catch {
    return null
  }
}

function alive(owner: LockOwner): boolean {
  if (owner.pid === process.pid && owner.startTicks === startTicksOf(process.pid)) return true
  try {
    process.kill(owner.pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  const ticks = startTicksOf(owner.pid)
  return owner.startTicks === null || ticks === null || ticks === owner.startTicks
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>
    if (typeof o.pid !== 'number' || !Number.isInteger(o.pid) || o.pid <= 0) return undefined
    return {
      pid: o.pid,
      startTicks: typeof o.startTicks === 'string' ? o.startTicks : null,
      command: String(o.command ?? '?'),
      startedAt: String(o.startedAt ?? '?'),
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw err
    return undefined // unreadable or half-written by a crashed process: nobody's lock
  }
}

export interface DataDirLock {
  release(): void
}

/**
 * Takes the data dir's lock or throws DataDirInUse naming its holder. The lock file appears whole
 * (written aside, then hard-linked into place, which fails if one exists); a stale one is moved
 * aside before it is removed, so two starters racing for it cannot both remove a fresh lock.
 * Released at exit, however the process exits short of a kill.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const path = lockPath(dataDir)
  const mine: LockOwner = {
    pid: process.pid,
    startTicks: startTicksOf(process.pid),
    command: process.argv.slice(1).join(' ').slice(0, 200),
    startedAt: new Date().toISOString(),
  }
  const text = JSON.stringify(mine) + '\n'
  const aside = `${path}.${process.pid}`
  writeFileSync(aside, text, { mode: 0o644 })
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(aside, path)
        break
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 20) throw err
      }
      let owner: LockOwner | undefined
      try {
        owner = readOwner(path)
      } catch {
        continue
      } // gone meanwhile: try again
      if (owner && alive(owner)) throw new DataDirInUse(dataDir, owner)
      const stale = `${path}.stale.${process.pid}`
      try {
        renameSync(path, stale)
      } catch {
        continue
      }
      const moved = (() => {
        try {
          return readOwner(stale)
        } catch {
          return undefined
        }
      })()
      // A racer's fresh lock taken by mistake goes back (link fails if yet another took the place).
      if (moved && alive(moved)) {
        try {
          linkSync(stale, path)
        } catch {
          /* someone holds it; the next round says who */
        }
      }
      try {
        unlinkSync(stale)
      } catch {
        /* already gone */
      }
    }
  } finally {
    try {
      unlinkSync(aside)
    } catch {
      /* already gone */
    }
  }
  let held = true
  const release = (): void => {
    if (!held) return
    held = false
    process.off('exit', release)
    try {
      if (readFileSync(path, 'utf8') === text) unlinkSync(path)
    } catch {
      /* gone already */
    }
  }
  process.on('exit', release)
  return { release }
}
