// The export tarball's layout: stored gzip blocks around a tar, nested, with blobs placed before they
// are downloaded. Checked by building files and reading them back with zlib and tar-stream.
import { randomBytes } from 'node:crypto'
import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { untar } from '../support/untar.js'
import { crc32, crc32Combine } from '../../src/export/crc32.js'
import { fileOffset, SEGMENT, segments, TarGzLayout, type Member } from '../../src/export/stored-tar-gz.js'
import { tarHeader } from '../../src/export/tar-header.js'

const dir = mkdtempSync(join(tmpdir(), 'airlock-stored-tgz-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Writes a layout the way ExportFile does, blobs in reverse order to show order does not matter. */
function build(members: Member[], blobs: Buffer[]): Buffer {
  const layout = new TarGzLayout(members, new Date('2024-01-01T00:00:00Z'))
  const path = join(dir, `t-${Math.random()}.tar.gz`)
  const fd = openSync(path, 'wx')
  ftruncateSync(fd, layout.size)
  for (const { offset, bytes } of layout.known()) writeSync(fd, bytes, 0, bytes.length, offset)
  const crcs = new Map<number, number[]>()
  for (const [id, p] of [...layout.placements].reverse()) {
    const b = blobs[id]!
    const segs: number[] = []
    for (let k = 0; k < segments(b.length); k++) {
      const s = b.subarray(k * SEGMENT, (k + 1) * SEGMENT)
      segs.push(crc32(s))
      writeSync(fd, s, 0, s.length, fileOffset(p, k * SEGMENT))
    }
    crcs.set(id, segs)
  }
  for (const { offset, bytes } of layout.trailers(crcs)) writeSync(fd, bytes, 0, bytes.length, offset)
  closeSync(fd)
  const file = readFileSync(path)
  expect(file.length).toBe(layout.size)
  return file
}

describe('crc32Combine', () => {
  it('gives the CRC of a concatenation', () => {
    for (const [a, b] of [
      [0, 0],
      [0, 5],
      [5, 0],
      [1, 1],
      [100, SEGMENT],
      [7, 1 << 20],
    ] as const) {
      const A = randomBytes(a)
      const B = randomBytes(b)
      expect(crc32Combine(crc32(A), crc32(B), b)).toBe(crc32(Buffer.concat([A, B])))
    }
  })
})

describe('tarHeader', () => {
  it('writes a pax path for names ustar cannot hold, which tar readers take', async () => {
    const name = `resources/${'r'.repeat(150)}_1`
    const data = Buffer.from('x')
    const archive = Buffer.concat([tarHeader(name, 1, new Date(0)), data, Buffer.alloc(511), Buffer.alloc(1024)])
    expect([...(await untar(archive)).keys()]).toEqual([name])
  })
})

describe('TarGzLayout', () => {
  it('places blobs of every size, nested two levels, in a file gunzip and tar read back', async () => {
    const blobs = [randomBytes(200_000), randomBytes(SEGMENT), randomBytes(1), Buffer.alloc(0), randomBytes(2 * SEGMENT + 3)]
    const meta = randomBytes(SEGMENT + 10)
    const file = build(
      [
        { name: 'bundle.yaml', bytes: Buffer.from('applications: {}\n') },
        {
          name: 'a.tar.gz',
          members: [
            { name: 'a_1.charm', blob: 0, size: blobs[0]!.length },
            { name: 'metadata.json', bytes: meta },
            { name: `resources/a.${'x'.repeat(120)}_1`, blob: 1, size: SEGMENT },
          ],
        },
        {
          name: 'b.tar.gz',
          members: [
            { name: 'b_1.charm', blob: 2, size: 1 },
            { name: 'empty', blob: 3, size: 0 },
          ],
        },
        { name: 'top.bin', blob: 4, size: blobs[4]!.length },
      ],
      blobs,
    )
    const outer = await untar(gunzipSync(file))
    expect([...outer.keys()]).toEqual(['bundle.yaml', 'a.tar.gz', 'b.tar.gz', 'top.bin'])
    expect(outer.get('top.bin')!.equals(blobs[4]!)).toBe(true)
    const a = await untar(gunzipSync(outer.get('a.tar.gz')!))
    expect(a.get('a_1.charm')!.equals(blobs[0]!)).toBe(true)
    expect(a.get('metadata.json')!.equals(meta)).toBe(true)
    expect(a.get(`resources/a.${'x'.repeat(120)}_1`)!.equals(blobs[1]!)).toBe(true)
    const b = await untar(gunzipSync(outer.get('b.tar.gz')!))
    expect(b.get('b_1.charm')!.equals(blobs[2]!)).toBe(true)
    expect(b.get('empty')!.length).toBe(0)
  })

  it('refuses a third level of nesting', () => {
    expect(
      () =>
        new TarGzLayout([{ name: 'a.tar.gz', members: [{ name: 'b.tar.gz', members: [{ name: 'c', blob: 0, size: 10 }] }] }], new Date()),
    ).toThrow(/nested deeper/)
  })
})
