// `airlock blobs verify` and `airlock blobs migrate`, run as a user runs them, between a data dir
// and a real object store (Ceph RGW): fs → s3 → fs with every digest equal, a migration killed
// half-way and resumed, a corrupted blob caught, bad settings refused in one line.
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, ensureBuilt, runCli } from '../support/server-process.js'
import { startS3Server, type S3Server } from '../support/s3-server.js'

let s3: S3Server
let root: string

beforeAll(async () => {
  ensureBuilt()
  root = await mkdtemp(join(tmpdir(), 'airlock-blobs-migrate-'))
  s3 = await startS3Server()
}, 240_000)

afterAll(async () => {
  await s3?.close()
  if (root) await rm(root, { recursive: true, force: true })
})

/** A data dir holding `sizes.length` blobs at their content addresses; returns their digests. */
async function dataDirWithBlobs(name: string, sizes: number[]): Promise<{ dir: string; digests: string[] }> {
  const dir = join(root, name)
  const digests: string[] = []
  for (const size of sizes) {
    const data = randomBytes(size)
    const sha = createHash('sha256').update(data).digest('hex')
    await mkdir(join(dir, 'blobs', 'sha256', sha.slice(0, 2)), { recursive: true })
    await writeFile(join(dir, 'blobs', 'sha256', sha.slice(0, 2), sha), data)
    digests.push(sha)
  }
  return { dir, digests }
}

async function blobFiles(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  const base = join(dir, 'blobs', 'sha256')
  for (const sub of await readdir(base).catch(() => [] as string[])) {
    for (const f of await readdir(join(base, sub)))
      out.set(
        f,
        createHash('sha256')
          .update(await readFile(join(base, sub, f)))
          .digest('hex'),
      )
  }
  return out
}

describe('airlock blobs migrate and verify', () => {
  it('moves a store fs → s3 → fs with every digest equal, resuming after a kill -9', async () => {
    const sizes = [0, 1, 1000, 5 << 20, 3 << 20, ...Array.from({ length: 40 }, (_, i) => 200_000 + i)]
    const { dir, digests } = await dataDirWithBlobs('source', sizes)
    const env = s3.env('migrated')
    delete (env as Record<string, string>).AIRLOCK_BLOB_STORE

    const verified = await runCli(['blobs', 'verify', '--data-dir', dir], env)
    expect(verified.stderr).toBe('')
    expect(verified.code).toBe(0)
    expect(verified.stdout).toMatch(new RegExp(`verified ${digests.length} blobs .* every digest matches`))

    // Kill the first migration once it has copied some blobs (and not all of them, or the resume
    // would have nothing to do). Its exit is awaited from the spawn: a listener added after it has
    // exited would wait for ever.
    const first = spawn(process.execPath, [BIN, 'blobs', 'migrate', '--to', 's3', '--data-dir', dir], {
      env: { ...process.env, ...env },
      stdio: 'ignore',
    })
    const exited = new Promise<number | null>((r) => first.once('exit', r))
    const bucket = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    })
    const landed = async (): Promise<number> =>
      (await bucket.send(new ListObjectsV2Command({ Bucket: env.AIRLOCK_S3_BUCKET, Prefix: 'blobs/' })).catch(() => undefined))?.KeyCount ??
      0
    for (let waited = 0; first.exitCode === null && waited < 60_000 && (await landed()) < 3; waited += 20) {
      await new Promise((r) => setTimeout(r, 20))
    }
    first.kill('SIGKILL')
    await exited
    bucket.destroy()

    const resumed = await runCli(['blobs', 'migrate', '--to', 's3', '--data-dir', dir], env)
    expect(resumed.stderr).toBe('')
    expect(resumed.code).toBe(0)
    const m = /copied (\d+) blobs? .* (\d+) already there and verified/.exec(resumed.stdout)
    expect(m, resumed.stdout).not.toBeNull()
    expect(Number(m![1]) + Number(m![2])).toBe(digests.length)
    expect(Number(m![2])).toBeGreaterThan(0)
    expect(resumed.stdout).toContain('AIRLOCK_BLOB_STORE=s3')
    // The source is untouched.
    expect([...(await blobFiles(dir)).keys()].sort()).toEqual([...digests].sort())

    // Run again: nothing left to copy.
    const again = await runCli(['blobs', 'migrate', '--to', 's3', '--data-dir', dir], env)
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(new RegExp(`copied 0 blobs .* ${digests.length} already there`))

    const onS3 = await runCli(['blobs', 'verify', '--data-dir', dir], { ...env, AIRLOCK_BLOB_STORE: 's3' })
    expect(onS3.code).toBe(0)
    expect(onS3.stdout).toMatch(new RegExp(`verified ${digests.length} blobs .*bucket migrated`))

    const back = join(root, 'back')
    await mkdir(back)
    const home = await runCli(['blobs', 'migrate', '--to', 'fs', '--data-dir', back], { ...env, AIRLOCK_BLOB_STORE: 's3' })
    expect(home.stderr).toBe('')
    expect(home.code).toBe(0)
    const files = await blobFiles(back)
    expect([...files.keys()].sort()).toEqual([...digests].sort())
    for (const [name, hash] of files) expect(hash).toBe(name)
    expect(await readdir(join(back, 'tmp'))).toEqual([])
  }, 180_000)

  it('catches a blob whose bytes no longer match its digest, and does not copy it', async () => {
    const { dir, digests } = await dataDirWithBlobs('rotten', [1000, 2000])
    const bad = digests[0]!
    await writeFile(join(dir, 'blobs', 'sha256', bad.slice(0, 2), bad), 'bit rot')
    const verified = await runCli(['blobs', 'verify', '--data-dir', dir])
    expect(verified.code).toBe(1)
    expect(verified.stderr).toContain(`airlock: blob ${bad}: its bytes hash to `)
    expect(verified.stderr).not.toMatch(/\n\s+at /)

    const env = s3.env('rotten')
    delete (env as Record<string, string>).AIRLOCK_BLOB_STORE
    const migrated = await runCli(['blobs', 'migrate', '--to', 's3', '--data-dir', dir], env)
    expect(migrated.code).toBe(1)
    expect(migrated.stderr).toContain(`airlock: blob ${bad}: the source's bytes hash to`)
    expect(migrated.stdout).toMatch(/copied 1 blob .*could not be copied; the store was not switched/s)
  }, 60_000)

  it('refuses bad settings in one line: the same store (2), wrong credentials (1), unreachable (1)', async () => {
    const { dir } = await dataDirWithBlobs('settings', [10])
    const env = s3.env('settings')
    const same = await runCli(['blobs', 'migrate', '--to', 'fs', '--data-dir', dir])
    expect(same.code).toBe(2)
    expect(same.stderr).toMatch(/^airlock: blob-store is already fs[^\n]*\n$/)
    const target = await runCli(['blobs', 'migrate', '--to', 'nfs', '--data-dir', dir])
    expect(target.code).toBe(2)
    expect(target.stderr).toMatch(/^airlock: --to must be fs or s3[^\n]*\n$/)
    const wrong = await runCli(['blobs', 'verify', '--data-dir', dir], { ...env, AIRLOCK_S3_SECRET_ACCESS_KEY: 'wrong' })
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(
      /^airlock: cannot use the object store \(bucket settings at http:[^)]*\): it refused the credentials[^\n]*\n$/,
    )
    const gone = await runCli(['blobs', 'verify', '--data-dir', dir], { ...env, AIRLOCK_S3_ENDPOINT: 'http://127.0.0.1:9' })
    expect(gone.code).toBe(1)
    expect(gone.stderr).toMatch(/^airlock: cannot reach the object store \(bucket settings at http:\/\/127\.0\.0\.1:9\)[^\n]*\n$/)
    const badBucket = await runCli(['blobs', 'verify', '--data-dir', dir], { ...env, AIRLOCK_S3_BUCKET: 'Bad_Bucket' })
    expect(badBucket.code).toBe(2)
    expect(badBucket.stderr).toMatch(/^airlock: invalid s3.bucket \(from environment variable AIRLOCK_S3_BUCKET\)[^\n]*\n$/)
  }, 60_000)
})
