// The filesystem driver against the driver conformance suite, plus what only it promises: its files
// sit where the keys say under its root (existing data dirs keep working), and nothing escapes it.
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createFsDriver } from '../../src/storage/blobs/fs-driver.js'
import { chunked, describeDriver } from '../support/driver-conformance.js'

describeDriver('filesystem', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-fs-driver-'))
  return { driver: createFsDriver(dir), cleanup: () => rm(dir, { recursive: true, force: true }) }
})

describe('filesystem driver layout', () => {
  it('keeps each key at the matching path under its root and lists files other tools left there', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-fs-driver-'))
    try {
      const d = createFsDriver(dir)
      await d.put('tmp/blob-1', chunked(Buffer.from('one')))
      await d.move('tmp/blob-1', 'blobs/sha256/aa/aa1')
      expect(await readdir(join(dir, 'blobs', 'sha256', 'aa'))).toEqual(['aa1'])
      expect(await readdir(join(dir, 'tmp'))).toEqual([])
      expect(d.localPath('blobs/sha256/aa/aa1')).toBe(join(dir, 'blobs', 'sha256', 'aa', 'aa1'))
      // A file written by an earlier release is found; a name outside the key grammar is skipped.
      await mkdir(join(dir, 'blobs', 'sha256', 'bb'))
      await writeFile(join(dir, 'blobs', 'sha256', 'bb', 'bb2'), 'two')
      await writeFile(join(dir, 'blobs', 'sha256', 'bb', 'Not A Key'), 'x')
      const listed: string[] = []
      for await (const o of d.list('blobs/')) listed.push(o.key)
      expect(listed.sort()).toEqual(['blobs/sha256/aa/aa1', 'blobs/sha256/bb/bb2'])
      expect(() => d.localPath('../x')).toThrow(/not a valid storage key/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
