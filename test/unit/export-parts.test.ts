// The pure parts of `airlock export`: Juju's base fall-backs, the run timestamp, the task pool.
import { describe, expect, it } from 'vitest'
import { fallbackBase } from '../../src/export/charmhub-client.js'
import { runLimited } from '../../src/export/pool.js'
import { exportTimestamp } from '../../src/export/staging.js'

const base = (channel: string, architecture = 'amd64', name = 'ubuntu') => ({ name, channel, architecture })

describe('fallbackBase', () => {
  it('invalid-charm-base: the first default base of the same architecture', () => {
    const extra = { 'default-bases': [base('24.04', 'arm64'), base('24.04'), base('22.04')] }
    expect(fallbackBase('invalid-charm-base', extra, 'stable', base('NA', 'amd64', 'NA'))).toEqual(base('24.04'))
    expect(fallbackBase('invalid-charm-base', extra, 'stable', base('NA', 's390x', 'NA'))).toBeUndefined()
  })

  it('revision-not-found: the nearest base released to the same channel, newer on a tie', () => {
    const releases = [
      { channel: '14/stable', base: base('24.04') },
      { channel: 'stable', base: base('20.04') },
      { channel: 'stable', base: base('24.04') },
      { channel: 'stable', base: base('22.04', 'arm64') },
    ]
    expect(fallbackBase('revision-not-found', { releases }, 'latest/stable', base('22.04'))).toEqual(base('24.04'))
    expect(fallbackBase('revision-not-found', { releases }, '14/stable', base('20.04'))).toEqual(base('24.04'))
    expect(fallbackBase('revision-not-found', { releases }, 'edge', base('22.04'))).toBeUndefined()
    expect(fallbackBase('name-not-found', {}, 'stable', base('22.04'))).toBeUndefined()
  })
})

describe('exportTimestamp', () => {
  it('is the UTC second, as store-admin names its tarballs', () => {
    expect(exportTimestamp(new Date('2024-10-03T10:49:03.512Z'))).toBe('20241003T104903')
  })
})

describe('runLimited', () => {
  it('runs at most `limit` at once and keeps the order of results', async () => {
    let running = 0
    let peak = 0
    const out = await runLimited([5, 1, 3, 2], 2, async (n) => {
      peak = Math.max(peak, ++running)
      await new Promise((r) => setTimeout(r, n))
      running--
      return n * 10
    })
    expect(out).toEqual([50, 10, 30, 20])
    expect(peak).toBe(2)
  })

  it('starts nothing after the first failure and reports it', async () => {
    const started: number[] = []
    await expect(
      runLimited([1, 2, 3, 4, 5], 1, async (n) => {
        started.push(n)
        if (n === 2) throw new Error('two')
      }),
    ).rejects.toThrow('two')
    expect(started).toEqual([1, 2])
  })
})
