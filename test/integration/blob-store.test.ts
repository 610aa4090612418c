// The blob store contract (src/storage/blobs/blob-store.ts), as a suite the content store runs over
// each driver: the filesystem driver, and the same driver with its local files hidden (as an
// object store has none), so the copy-to-a-local-file path is exercised without one.
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, readdir, rm, utimes } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { BlobStore } from '../../src/storage/blobs/blob-store.js'
import { createBlobStore } from '../../src/storage/blobs/content-store.js'
import type { StorageDriver } from '../../src/storage/blobs/driver.js'
import { createFsDriver } from '../../src/storage/blobs/fs-driver.js'

async function readAll(s: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const c of s) parts.push(c)
  return Buffer.concat(parts)
}

async function put(store: BlobStore, data: Buffer, expected?: { size?: number; sha256?: string }) {
  const w = await store.create()
  try {
    await pipeline(async function* () {
      for (let i = 0; i < data.length; i += 7000) yield data.subarray(i, i + 7000)
    }, w)
    return await w.commit(expected)
  } finally {
    await w.cancel()
  }
}

interface StoreUnderTest {
  store: BlobStore
  tmpFiles: () => Promise<string[]>
  /** Makes every temp file look an hour old. */
  ageTemp: () => Promise<void>
  cleanup: () => Promise<void>
}

function describeBlobStore(name: string, make: () => Promise<StoreUnderTest>) {
  describe(`${name} blob store`, () => {
    let ctx: Awaited<ReturnType<typeof make>>
    beforeEach(async () => {
      ctx = await make()
    })
    afterEach(async () => {
      await ctx.cleanup()
    })

    it('stores content under its sha256 and computes every hash in one pass', async () => {
      const data = Buffer.from('hello airlock'.repeat(1000))
      const b = await put(ctx.store, data)
      expect(b).toEqual({
        sha256: createHash('sha256').update(data).digest('hex'),
        sha384: createHash('sha384').update(data).digest('hex'),
        sha3_384: createHash('sha3-384').update(data).digest('hex'),
        size: data.length,
        created: true,
      })
      expect(await ctx.store.stat(b.sha256)).toEqual({ size: data.length })
      expect(await readAll((await ctx.store.open(b.sha256)).stream)).toEqual(data)
      const file = await ctx.store.openFile(b.sha256)
      const into = Buffer.alloc(8)
      expect(await file.read(into, 5, 8)).toBe(8)
      expect(into).toEqual(data.subarray(5, 13))
      await file.close()
    })

    it('stores identical content once', async () => {
      const data = Buffer.from('same')
      expect((await put(ctx.store, data)).created).toBe(true)
      expect((await put(ctx.store, data)).created).toBe(false)
      expect(await ctx.tmpFiles()).toEqual([])
    })

    it('refuses a size or digest mismatch, leaving nothing behind', async () => {
      const data = Buffer.from('abc')
      await expect(put(ctx.store, data, { size: 4 })).rejects.toThrow(/size mismatch/)
      await expect(put(ctx.store, data, { sha256: '0'.repeat(64) })).rejects.toThrow(/sha256 mismatch/)
      expect(await ctx.store.stat(createHash('sha256').update(data).digest('hex'))).toBeUndefined()
      expect(await ctx.tmpFiles()).toEqual([])
    })

    it('cancel discards the temp file and is idempotent', async () => {
      const w = await ctx.store.create()
      w.write(Buffer.from('partial'))
      await w.cancel()
      await w.cancel()
      expect(await ctx.tmpFiles()).toEqual([])
    })

    it('stat of an absent or malformed digest is undefined; delete is idempotent; paths never escape', async () => {
      expect(await ctx.store.stat('f'.repeat(64))).toBeUndefined()
      expect(await ctx.store.stat('../../etc/passwd')).toBeUndefined()
      await ctx.store.delete('f'.repeat(64))
      await ctx.store.delete('../../etc/passwd')
      await expect(ctx.store.localFile('../x')).rejects.toMatchObject({ code: 'ENOENT' })
      await expect(ctx.store.localFile('f'.repeat(64))).rejects.toMatchObject({ code: 'ENOENT' })
      await expect(ctx.store.open('../../etc/passwd')).rejects.toMatchObject({ code: 'ENOENT' })
      await expect(ctx.store.openFile('f'.repeat(64))).rejects.toMatchObject({ code: 'ENOENT' })
    })

    it('gives a local file of a blob, released after use', async () => {
      const data = Buffer.from('squashfs stand-in'.repeat(5000))
      const b = await put(ctx.store, data)
      const local = await ctx.store.localFile(b.sha256)
      expect((await readFile(local.path)).equals(data)).toBe(true)
      await local.release()
      await local.release()
      expect(await ctx.store.stat(b.sha256)).toEqual({ size: data.length })
    })

    it('lists visible blobs only, and sweeps temp files by age', async () => {
      const a = await put(ctx.store, Buffer.from('a'))
      const b = await put(ctx.store, Buffer.from('bb'))
      const listed = []
      for await (const x of ctx.store.list()) listed.push(x)
      expect(listed.sort((x, y) => x.sha256.localeCompare(y.sha256))).toEqual(
        [
          { sha256: a.sha256, size: 1 },
          { sha256: b.sha256, size: 2 },
        ].sort((x, y) => x.sha256.localeCompare(y.sha256)),
      )
      const w = await ctx.store.create()
      await new Promise<void>((resolve, reject) => w.write(Buffer.from('in progress'), (err) => (err ? reject(err) : resolve())))
      // The driver creates the temp object as its put starts, a moment after create().
      for (let i = 0; i < 100 && (await ctx.tmpFiles()).length === 0; i++) await new Promise((r) => setTimeout(r, 10))
      await ctx.ageTemp()
      expect(await ctx.store.sweepTemp(60_000, true)).toEqual({ files: 1, bytes: expect.any(Number) })
      expect(await ctx.tmpFiles()).toHaveLength(1)
      expect((await ctx.store.sweepTemp(60_000)).files).toBe(1)
      expect(await ctx.tmpFiles()).toEqual([])
      await w.cancel()
      expect(await ctx.store.stat(a.sha256)).toEqual({ size: 1 })
    })

    it("streams a blob larger than the writer's buffers with flat hashing", async () => {
      const data = Buffer.alloc(20 << 20)
      for (let i = 0; i < data.length; i += 4096) data.writeUInt32LE(i, i)
      const b = await put(ctx.store, data)
      expect(b.sha3_384).toBe(createHash('sha3-384').update(data).digest('hex'))
      const back = await readAll((await ctx.store.open(b.sha256)).stream)
      expect(back.equals(data)).toBe(true)
    })
  })
}

function overFs(hideLocalFiles: boolean) {
  return async (): Promise<StoreUnderTest> => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-blobs-'))
    const fs = createFsDriver(dir)
    const { localPath: _hidden, ...remote } = fs
    const driver: StorageDriver = hideLocalFiles ? remote : fs
    const tmpFiles = async () => (await readdir(join(dir, 'tmp')).catch(() => [])).filter((n) => n.startsWith('blob-'))
    const store = createBlobStore(driver, { scratchDir: join(dir, 'scratch') })
    return {
      store,
      tmpFiles,
      ageTemp: async () => {
        const old = new Date(Date.now() - 3_600_000)
        for (const n of await tmpFiles()) await utimes(join(dir, 'tmp', n), old, old)
      },
      cleanup: async () => {
        await store.closeIdle()
        await rm(dir, { recursive: true, force: true })
      },
    }
  }
}

describeBlobStore('filesystem', overFs(false))
describeBlobStore('filesystem without local files', overFs(true))

describe('blob writer memory', () => {
  it('has at most 16 slabs out: it waits while the driver keeps them, and goes on once they are released', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-blobs-'))
    try {
      const fs = createFsDriver(dir)
      const held: (() => void)[] = []
      let hold = true
      const driver: StorageDriver = {
        ...fs,
        put: (key, body, opts) =>
          fs.put(key, body, {
            release: (c) => (hold ? held.push(() => opts?.release?.(c)) : opts?.release?.(c)),
          }),
      }
      const store = createBlobStore(driver)
      const data = Buffer.alloc(40 << 18, 7)
      let produced = 0
      const w = await store.create()
      const piped = pipeline(async function* () {
        for (let i = 0; i < data.length; i += 64 << 10) {
          produced += 64 << 10
          yield data.subarray(i, i + (64 << 10))
        }
      }, w)
      await new Promise((r) => setTimeout(r, 300))
      expect(held).toHaveLength(16)
      expect(produced).toBeLessThan(data.length)
      hold = false
      for (const r of held.splice(0)) r()
      await piped
      const b = await w.commit()
      expect(b.sha256).toBe(createHash('sha256').update(data).digest('hex'))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
