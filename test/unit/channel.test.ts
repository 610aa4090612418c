import { describe, expect, it } from 'vitest'
import { formatChannel, parseChannel, shortChannel } from '../../src/catalog/channel.js'

describe('parseChannel', () => {
  it.each([
    ['stable', 'latest/stable'],
    ['edge', 'latest/edge'],
    ['latest/stable', 'latest/stable'],
    ['14/edge', '14/edge'],
    ['dpe/edge', 'dpe/edge'],
    ['edge/fix-123', 'latest/edge/fix-123'],
    ['2.0/candidate/hotfix', '2.0/candidate/hotfix'],
  ])('%s → %s', (text, full) => {
    expect(formatChannel(parseChannel(text)!)).toBe(full)
  })
  it.each(['', 'latest', 'foo/bar', 'a/b/c/d', '/stable', 'stable/', 'latest/unstable'])('refuses %j', (text) => {
    expect(parseChannel(text)).toBeUndefined()
  })
  it('spells the latest track short, as Charmhub does', () => {
    expect(shortChannel(parseChannel('latest/stable')!)).toBe('stable')
    expect(shortChannel(parseChannel('14/edge')!)).toBe('14/edge')
    expect(shortChannel(parseChannel('latest/edge/fix')!)).toBe('edge/fix')
  })
})
