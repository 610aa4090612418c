// What serve and migrate check before they touch anything, and the one-line causes of start-up
// failures: the data dir, the database, the listen address. Each becomes a StartupError (exit 1).
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { ConfigError, StartupError } from './config/errors.js'
import type { S3Settings } from './config/schema.js'
import type { StorageDriver } from './storage/blobs/driver.js'
import { describeDriver, openDriver } from './storage/blobs/open-driver.js'

const reason = (err: unknown): string => {
  const e = err as NodeJS.ErrnoException
  switch (e.code) {
    case 'ENOENT':
      return 'its parent directory does not exist'
    case 'ENOTDIR':
    case 'EEXIST':
      return 'it (or a directory on its path) is not a directory'
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'EROFS':
      return 'the file system is read-only'
    case 'ENOSPC':
      return 'no space left on the device'
    default:
      return e.code ?? e.message
  }
}

/**
 * Creates the data dir if its parent exists, and proves it is a writable directory with a small
 * file. mkdir is not recursive on purpose: a mistyped path should not grow a tree of directories.
 * Pseudo file systems (/proc, /sys) refuse the probe at once instead of hanging a later step.
 */
export function prepareDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new StartupError(`cannot use the data dir ${dataDir}: ${reason(err)}`)
    if (!statSync(dataDir).isDirectory()) throw new StartupError(`cannot use the data dir ${dataDir}: it is not a directory`)
  }
  const probe = `${dataDir}/.airlock-write-test-${process.pid}`
  try {
    writeFileSync(probe, '')
    rmSync(probe, { force: true })
  } catch (err) {
    // /proc answers ENOENT to a new file in a directory that exists.
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not take new files' : reason(err)
    throw new StartupError(`cannot use the data dir ${dataDir}: cannot write in it (${why})`)
  }
}

/** A database that cannot be opened or migrated, said in one line without the URL's password. */
export function databaseFailure(databaseUrl: string | undefined, err: unknown): StartupError {
  if (err instanceof StartupError) return err
  const e = err as NodeJS.ErrnoException & { errors?: NodeJS.ErrnoException[] }
  let where = 'the embedded database'
  let name = ''
  if (databaseUrl) {
    try {
      const u = new URL(databaseUrl)
      name = decodeURIComponent(u.pathname.slice(1))
      where = `PostgreSQL at ${u.hostname}:${u.port || '5432'}`
    } catch {
      where = 'PostgreSQL'
    }
  }
  // pg reports a refused connection to every resolved address as an AggregateError.
  const code = e.code ?? e.errors?.[0]?.code
  const problem =
    code === 'ECONNREFUSED'
      ? 'connection refused (is PostgreSQL running there?)'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'the host name does not resolve'
        : code === 'ETIMEDOUT' || /timeout/i.test(e.message ?? '')
          ? 'no answer (timed out)'
          : code === '3D000'
            ? `the database ${JSON.stringify(name)} does not exist (create it first)`
            : code === '28P01' || code === '28000'
              ? 'authentication failed'
              : (e.message ?? String(err)).split('\n')[0]
  return new StartupError(`cannot open ${where}: ${problem}`)
}

/** listen() failures: the port taken, an address not on this machine, a privileged port. */
export function listenFailure(host: string, port: number, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code
  const at = `${host.includes(':') ? `[${host}]` : host}:${port}`
  if (code === 'EADDRINUSE')
    return new StartupError(`cannot listen on ${at}: the port is in use by another process (choose another with --port)`)
  if (code === 'EADDRNOTAVAIL') return new StartupError(`cannot listen on ${at}: the address is not one of this machine's (check --host)`)
  if (code === 'EACCES') return new StartupError(`cannot listen on ${at}: permission denied (ports below 1024 need privileges)`)
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new StartupError(`cannot listen on ${at}: the host name does not resolve (check --host)`)
  return err as Error
}

/** The object store's start check failed: unreachable, refused credentials, or not writable. */
export function objectStoreFailure(where: string, err: unknown): StartupError {
  const e = err as { code?: string; message?: string }
  if (e.code === 'EACCES')
    return new StartupError(
      `cannot use the object store (${where}): it refused the credentials (check s3.access-key-id and s3.secret-access-key)`,
    )
  if (e.code === 'EUNAVAILABLE')
    return new StartupError(
      `cannot reach the object store (${where}): ${e.message?.replace(/^the object store is unavailable /, '') ?? ''}`,
    )
  return new StartupError(`cannot use the object store (${where}): ${e.message ?? String(err)}`)
}

/**
 * The `kind` driver, checked reachable and writable: a ConfigError (exit 2) when s3 settings are
 * missing, a StartupError (exit 1) when the store cannot be used.
 */
export async function openCheckedDriver(kind: 'fs' | 's3', dataDir: string, s3: S3Settings): Promise<StorageDriver> {
  if (kind === 's3') {
    for (const [key, env, value] of [
      ['s3.bucket', 'AIRLOCK_S3_BUCKET', s3.bucket],
      ['s3.access-key-id', 'AIRLOCK_S3_ACCESS_KEY_ID', s3.accessKeyId],
      ['s3.secret-access-key', 'AIRLOCK_S3_SECRET_ACCESS_KEY', s3.secretAccessKey],
    ] as const) {
      if (value === undefined) throw new ConfigError(`the s3 blob store needs ${key} (${env})`)
    }
  }
  const driver = await openDriver(kind, dataDir, s3)
  try {
    await driver.check()
  } catch (err) {
    await driver.close()
    throw objectStoreFailure(describeDriver(kind, dataDir, s3), err)
  }
  return driver
}
