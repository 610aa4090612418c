// `airlock blobs verify` and `airlock blobs migrate`: whole-store operations on the configured blob
// store (and, for migrate, the other one), without a server or the database.
import { resolve } from 'node:path'
import type { Config } from './config/schema.js'
import { ConfigError } from './config/errors.js'
import { openCheckedDriver } from './startup.js'
import { describeDriver } from './storage/blobs/open-driver.js'
import { migrateBlobs, verifyBlobs, type BlobProblem } from './storage/blobs/blob-transfer.js'
import type { StorageDriver } from './storage/blobs/driver.js'

export interface CommandResult {
  readonly text: string
  readonly problems: readonly string[]
}

function opened(config: Config, kind: 'fs' | 's3'): Promise<StorageDriver> {
  return openCheckedDriver(kind, resolve(config.dataDir), config.s3)
}

const lines = (problems: readonly BlobProblem[]): string[] => problems.map((p) => `blob ${p.sha256}: ${p.problem}`)
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`

export async function verifyStore(config: Config): Promise<CommandResult> {
  const driver = await opened(config, config.blobStore)
  try {
    const r = await verifyBlobs(driver)
    const where = describeDriver(config.blobStore, resolve(config.dataDir), config.s3)
    const text =
      r.problems.length === 0
        ? `verified ${plural(r.blobs, 'blob')} (${r.bytes} bytes) in ${where}: every digest matches\n`
        : `verified ${plural(r.blobs, 'blob')} (${r.bytes} bytes) in ${where}: ${r.problems.length} do not match their digest\n`
    return { text, problems: lines(r.problems) }
  } finally {
    await driver.close()
  }
}

export async function migrateStore(config: Config, to: 'fs' | 's3'): Promise<CommandResult> {
  if (to === config.blobStore)
    throw new ConfigError(`blob-store is already ${to}: migrate --to names the store to copy into (the other one)`)
  const dataDir = resolve(config.dataDir)
  const source = await opened(config, config.blobStore)
  let destination: StorageDriver | undefined
  try {
    destination = await opened(config, to)
    const r = await migrateBlobs(source, destination)
    const head = `copied ${plural(r.copied, 'blob')} (${r.copiedBytes} bytes) from ${describeDriver(config.blobStore, dataDir, config.s3)} to ${describeDriver(to, dataDir, config.s3)}, each verified there; ${r.present} already there and verified\n`
    const next =
      r.problems.length === 0
        ? `the source is untouched. To switch: stop the server(s), run this command again to copy what was pushed meanwhile, then set blob-store: ${to} (AIRLOCK_BLOB_STORE=${to}) and start.\n`
        : `${plural(r.problems.length, 'blob')} could not be copied; the store was not switched. Fix them and run this command again.\n`
    return { text: head + next, problems: lines(r.problems) }
  } finally {
    await source.close()
    await destination?.close()
  }
}
