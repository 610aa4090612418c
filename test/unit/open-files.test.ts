// OpenFiles keeps downloaded blobs' files open between downloads: shared while held, bounded when
// idle, closed when forgotten (deleted blobs) once the last holder is done.
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { OpenFiles } from '../../src/storage/blobs/open-files.js'
import { createFsDriver } from '../../src/storage/blobs/fs-driver.js'

const dir = mkdtempSync(join(tmpdir(), 'airlock-open-files-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const driver = createFsDriver(dir)
const readerOf = (p: string) => driver.reader(p.slice(dir.length + 1))
const file = (name: string, text: string) => {
  const p = join(dir, name)
  writeFileSync(p, text)
  return p
}
/** Descriptors of this process open on files under `dir`. */
const openHere = () =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir)
    } catch {
      return false
    }
  }).length

async function readAll(f: { read(b: Buffer, p: number, l: number): Promise<number> }, size: number): Promise<string> {
  const b = Buffer.alloc(size)
  return b.toString('utf8', 0, await f.read(b, 0, size))
}

describe('OpenFiles', () => {
  it('shares one open file between holders and keeps it open for the next', async () => {
    const files = new OpenFiles(4)
    const p = file('a', 'hello')
    const [x, y] = await Promise.all([files.acquire('a', () => readerOf(p)), files.acquire('a', () => readerOf(p))])
    expect(openHere()).toBe(1)
    expect(await readAll(x, 5)).toBe('hello')
    await x.close()
    await x.close() // twice is once
    expect(await readAll(y, 5)).toBe('hello')
    await y.close()
    expect(openHere()).toBe(1)
    const z = await files.acquire('a', () => readerOf(p))
    expect(await readAll(z, 5)).toBe('hello')
    await z.close()
    await files.closeIdle()
    expect(openHere()).toBe(0)
  })

  it('closes the least recently used idle files past its bound', async () => {
    const files = new OpenFiles(2)
    for (const n of ['b1', 'b2', 'b3', 'b4']) await (await files.acquire(n, () => readerOf(file(n, n)))).close()
    expect(openHere()).toBe(2)
    await files.closeIdle()
    expect(openHere()).toBe(0)
  })

  it('closes a forgotten file when its last holder is done, and opens afresh after', async () => {
    const files = new OpenFiles(4)
    const p = file('c', 'one')
    const held = await files.acquire('c', () => readerOf(p))
    await files.forget('c')
    expect(await readAll(held, 3)).toBe('one')
    expect(openHere()).toBe(1)
    await held.close()
    expect(openHere()).toBe(0)
    writeFileSync(p, 'two')
    const again = await files.acquire('c', () => readerOf(p))
    expect(await readAll(again, 3)).toBe('two')
    await again.close()
    await files.closeIdle()
  })

  it('rejects a missing file with ENOENT, and finds it once it exists', async () => {
    const files = new OpenFiles(4)
    const p = join(dir, 'later')
    await expect(files.acquire('later', () => readerOf(p))).rejects.toMatchObject({ code: 'ENOENT' })
    file('later', 'now')
    const f = await files.acquire('later', () => readerOf(p))
    expect(await readAll(f, 3)).toBe('now')
    await f.close()
    await files.closeIdle()
    expect(openHere()).toBe(0)
  })
})
