// The storage driver contract (src/storage/blobs/driver.ts) as a suite any driver runs: a test file
// calls describeDriver('fs', make) with a factory giving a fresh, empty driver and its clean-up.
// What it holds a driver to: streamed put/get of whole objects and ranges, random reads, stat,
// move that leaves nothing at the source, idempotent delete, prefix listing, absent objects as
// ENOENT / undefined, keys outside the grammar refused before they reach the store, and every chunk
// it takes from a body released exactly once (the blob writer reuses that memory).
import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { StorageDriver } from '../../src/storage/blobs/driver.js'

export interface DriverUnderTest {
  readonly driver: StorageDriver
  readonly cleanup: () => Promise<void>
}

async function readAll(s: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const c of s) parts.push(c)
  return Buffer.concat(parts)
}

/** `data` as a stream of `chunk`-byte pieces, as an upload arrives. */
export function chunked(data: Buffer, chunk = 64 << 10): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += chunk) yield data.subarray(i, i + chunk)
    })(),
    { objectMode: false },
  )
}

/** Resolves once `cond` holds, polling; fails after 10 s. */
async function until(cond: () => boolean): Promise<void> {
  for (const stop = Date.now() + 10_000; !cond();) {
    if (Date.now() > stop) throw new Error('condition not met in 10 s')
    await new Promise((r) => setTimeout(r, 10))
  }
}

async function keys(driver: StorageDriver, prefix: string): Promise<string[]> {
  const out: string[] = []
  for await (const o of driver.list(prefix)) out.push(o.key)
  return out.sort()
}

const BAD_KEYS = ['', '../escape', 'a/../../escape', '/absolute', 'a//b', 'UPPER', 'a/./b', 'sp ace', 'a\\b', 'a/']

export function describeDriver(name: string, make: () => Promise<DriverUnderTest>): void {
  describe(`${name} storage driver`, () => {
    let t: DriverUnderTest
    let d: StorageDriver
    beforeEach(async () => {
      t = await make()
      d = t.driver
    })
    afterEach(async () => {
      await d.close()
      await t.cleanup()
    })

    it('checks it can reach and write its store', async () => {
      await d.check()
    })

    it('streams an object in and out whole, by range and by random reads', async () => {
      const data = randomBytes((3 << 20) + 4321)
      await d.put('tmp/obj-1', chunked(data))
      // Buffer.equals: toEqual walks megabytes element by element.
      expect((await readAll(await d.get('tmp/obj-1'))).equals(data)).toBe(true)
      expect(await readAll(await d.get('tmp/obj-1', { start: 1000, end: 1999 }))).toEqual(data.subarray(1000, 2000))
      expect(await readAll(await d.get('tmp/obj-1', { start: data.length - 1, end: data.length - 1 }))).toEqual(
        data.subarray(data.length - 1),
      )
      const r = await d.reader('tmp/obj-1')
      try {
        expect(r.size).toBe(data.length)
        const into = Buffer.alloc(5000)
        expect(await r.read(into, 2 << 20, 5000)).toBe(5000)
        expect(into).toEqual(data.subarray(2 << 20, (2 << 20) + 5000))
        // Reads past the end come back short, not padded.
        expect(await r.read(into, data.length - 10, 5000)).toBe(10)
        expect(into.subarray(0, 10)).toEqual(data.subarray(data.length - 10))
      } finally {
        await r.close()
      }
      const st = await d.stat('tmp/obj-1')
      expect(st).toMatchObject({ key: 'tmp/obj-1', size: data.length })
      expect(st?.modified).toBeInstanceOf(Date)
      expect(Math.abs(Date.now() - st!.modified.getTime())).toBeLessThan(10 * 60_000)
    })

    it('stores an empty object', async () => {
      await d.put('tmp/empty', Readable.from([]))
      expect(await d.stat('tmp/empty')).toMatchObject({ size: 0 })
      expect(await readAll(await d.get('tmp/empty'))).toEqual(Buffer.alloc(0))
    })

    it('keeps the bytes of a large object intact (digest round trip)', async () => {
      const data = randomBytes(9 << 20)
      await d.put('tmp/large', chunked(data, 1 << 20))
      const h = createHash('sha256')
      for await (const c of await d.get('tmp/large')) h.update(c as Buffer)
      expect(h.digest('hex')).toBe(createHash('sha256').update(data).digest('hex'))
    })

    it('moves an object to its final key and leaves nothing at the source', async () => {
      const data = Buffer.from('move me')
      await d.put('tmp/m', chunked(data))
      await d.move('tmp/m', 'blobs/sha256/ab/abcdef')
      expect(await d.stat('tmp/m')).toBeUndefined()
      expect(await readAll(await d.get('blobs/sha256/ab/abcdef'))).toEqual(data)
    })

    it('reports absent objects as ENOENT (get, reader) or undefined (stat); delete is idempotent', async () => {
      expect(await d.stat('tmp/none')).toBeUndefined()
      await expect(d.get('tmp/none')).rejects.toMatchObject({ code: 'ENOENT' })
      await expect(d.reader('tmp/none')).rejects.toMatchObject({ code: 'ENOENT' })
      await d.delete('tmp/none')
      await d.put('tmp/del', chunked(Buffer.from('x')))
      await d.delete('tmp/del')
      await d.delete('tmp/del')
      expect(await d.stat('tmp/del')).toBeUndefined()
      await expect(d.get('tmp/del')).rejects.toMatchObject({ code: 'ENOENT' })
    })

    it('lists every object under a prefix, nested ones included, and nothing else', async () => {
      for (const k of ['blobs/sha256/aa/aa11', 'blobs/sha256/aa/aa22', 'blobs/sha256/bb/bb33', 'tmp/blob-1', 'tmp/other-2', 'top']) {
        await d.put(k, chunked(Buffer.from(k)))
      }
      expect(await keys(d, 'blobs/sha256/')).toEqual(['blobs/sha256/aa/aa11', 'blobs/sha256/aa/aa22', 'blobs/sha256/bb/bb33'])
      expect(await keys(d, 'blobs/sha256/aa/')).toEqual(['blobs/sha256/aa/aa11', 'blobs/sha256/aa/aa22'])
      expect(await keys(d, 'tmp/blob-')).toEqual(['tmp/blob-1'])
      expect(await keys(d, 'nothing/')).toEqual([])
      const sizes = new Map<string, number>()
      for await (const o of d.list('tmp/')) sizes.set(o.key, o.size)
      expect(Object.fromEntries(sizes)).toEqual({ 'tmp/blob-1': 'tmp/blob-1'.length, 'tmp/other-2': 'tmp/other-2'.length })
    })

    it('rejects a put whose body fails, leaving no complete object behind', async () => {
      const body = new Readable({ read() {} })
      const put = d.put('tmp/broken', body)
      body.push(Buffer.alloc(1000, 1))
      setTimeout(() => body.destroy(new Error('client went away')), 20)
      await expect(put).rejects.toThrow()
      const st = await d.stat('tmp/broken')
      // A partial temporary object may remain for sweeping, but never one passed off as whole.
      if (st) expect(st.size).toBeLessThanOrEqual(1000)
    })

    it('releases every chunk it takes exactly once, on success and when the put fails or is aborted', async () => {
      const tally = () => {
        const counts = new Map<Buffer, number>()
        return { counts, release: (c: Buffer) => counts.set(c, (counts.get(c) ?? 0) + 1) }
      }
      // Success: the same Buffer objects come back, each once, and the stored bytes are theirs.
      const chunks = Array.from({ length: 40 }, () => randomBytes(64 << 10))
      const ok = tally()
      await d.put('tmp/released', Readable.from(chunks), { release: ok.release })
      expect(ok.counts.size).toBe(chunks.length)
      for (const c of chunks) expect(ok.counts.get(c)).toBe(1)
      expect((await readAll(await d.get('tmp/released'))).equals(Buffer.concat(chunks))).toBe(true)

      // A body that fails (error) or is cut short (destroyed without one) after the driver took some chunks.
      for (const [i, end] of [
        [1, (b: Readable) => b.destroy(new Error('client went away'))],
        [2, (b: Readable) => b.destroy()],
      ] as const) {
        const body = new Readable({ objectMode: true, read() {} })
        const sent = Array.from({ length: 3 }, () => randomBytes(64 << 10))
        const t = tally()
        const put = d.put(`tmp/cut-${i}`, body, { release: t.release })
        put.catch(() => {})
        for (const c of sent) body.push(c)
        await until(() => t.counts.size === sent.length)
        end(body)
        await expect(put).rejects.toThrow()
        await new Promise((r) => setTimeout(r, 50))
        for (const c of sent) expect(t.counts.get(c)).toBe(1)
      }
    })

    it('refuses keys outside the grammar before they reach the store', async () => {
      for (const k of BAD_KEYS) {
        await expect(d.put(k, chunked(Buffer.from('x'))), k).rejects.toThrow()
        await expect(d.get(k), k).rejects.toThrow()
        await expect(d.reader(k), k).rejects.toThrow()
        expect(await d.stat(k), k).toBeUndefined()
        await expect(d.delete(k), k).rejects.toThrow()
        await expect(d.move('tmp/a', k), k).rejects.toThrow()
      }
      await expect(keys(d, '../')).rejects.toThrow()
    })
  })
}
