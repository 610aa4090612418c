// The blob store contract (src/storage/blobs/blob-store.ts), as a suite every driver runs.
import { createHash } from 'node:crypto'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { BlobStore } from '../../src/storage/blobs/blob-store.js'
import { FsBlobStore } from '../../src/storage/blobs/fs-blob-store.js'

async function readAll(s: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const c of s) parts.push(c)
  return Buffer.concat(parts)
}

async function put(store: BlobStore, data: Buffer, expected?: { size?: number; sha256?: string }) {
  const w = await store.create()
  try {
    await pipeline(async function* () { for (let i = 0; i < data.length; i += 7000) yield data.subarray(i, i + 7000) }, w)
    return await w.commit(expected)
  } finally { await w.cancel() }
}

function describeBlobStore(name: string, make: () => Promise<{ store: BlobStore; tmpFiles: () => Promise<string[]>; cleanup: () => Promise<void> }>) {
  describe(`${name} blob store`, () => {
    let ctx: Awaited<ReturnType<typeof make>>
    beforeEach(async () => { ctx = await make() })
    afterEach(async () => { await ctx.cleanup() })

    it('stores content under its sha256 and computes every hash in one pass', async () => {
      const data = Buffer.from('hello airlock'.repeat(1000))
      const b = await put(ctx.store, data)
      expect(b).toEqual({
        sha256: createHash('sha256').update(data).digest('hex'), sha384: createHash('sha384').update(data).digest('hex'),
        sha3_384: createHash('sha3-384').update(data).digest('hex'), size: data.length, created: true,
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
      expect(() => ctx.store.path('../x')).toThrow()
      await expect(ctx.store.open('../../etc/passwd')).rejects.toMatchObject({ code: 'ENOENT' })
    })
  })
}

describeBlobStore('filesystem', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-blobs-'))
  return {
    store: new FsBlobStore(dir),
    tmpFiles: async () => readdir(join(dir, 'tmp')).catch(() => []),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  }
})
