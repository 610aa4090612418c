// ExportFile and placedTarget: downloads written straight into their place around the block headers,
// hashed as they go, restarts included; the finished file gunzips and untars.
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { untar } from '../support/untar.js'
import { ExportFile } from '../../src/export/export-file.js'
import { placedTarget } from '../../src/export/placed-target.js'

const dir = mkdtempSync(join(tmpdir(), 'airlock-export-file-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const sha = (a: string, b: Buffer) => createHash(a).update(b).digest('hex')

describe('ExportFile', () => {
  it('takes chunks of any size, a restart, blobs spanning many segments, and reports their digests', async () => {
    const small = randomBytes(100_000)
    const large = randomBytes((4 << 20) + 300_001)
    const path = join(dir, 'x.tar.gz')
    const file = ExportFile.create(
      path,
      [
        { name: 'bundle.yaml', bytes: Buffer.from('applications: {}\n') },
        {
          name: 'c.tar.gz',
          members: [
            { name: 'c_1.charm', blob: 0, size: small.length },
            { name: 'resources/c.r_1', blob: 1, size: large.length },
          ],
        },
      ],
      new Date('2024-01-01T00:00:00Z'),
    )
    const feed = async (blob: number, data: Buffer, algorithms: string[]) => {
      const t = placedTarget(path, file.placement(blob), algorithms)
      // A first attempt that breaks off, then the whole blob again in odd-sized chunks.
      t.write(randomBytes(70_000), 0)
      t.restart()
      for (let at = 0, n = 1; at < data.length; at += n, n = ((n * 7 + 12_345) % 200_000) + 1) t.write(data.subarray(at, at + n), at)
      const digests = await t.finish(data.length)
      file.blobDone(blob, t.crcs())
      await t.close()
      return digests
    }
    expect(await feed(0, small, ['sha256'])).toEqual({ sha256: sha('sha256', small) })
    expect(await feed(1, large, ['sha256', 'sha384'])).toEqual({ sha256: sha('sha256', large), sha384: sha('sha384', large) })
    file.finish()
    const outer = await untar(gunzipSync(readFileSync(path)))
    const inner = await untar(gunzipSync(outer.get('c.tar.gz')!))
    expect(inner.get('c_1.charm')!.equals(small)).toBe(true)
    expect(inner.get('resources/c.r_1')!.equals(large)).toBe(true)
  })

  it('refuses to replace an existing file', () => {
    const path = join(dir, 'y.tar.gz')
    ExportFile.create(path, [], new Date()).close()
    expect(() => ExportFile.create(path, [], new Date())).toThrow(/EEXIST/)
  })
})
