// Snap Store selection rules without HTTP: snapd's channel spellings, epochs, stored assertion keys.
import { describe, expect, it } from 'vitest'
import { canRead, epochOf, parseSnapChannel } from '../../src/catalog/snap-select.js'
import { formatChannel } from '../../src/catalog/channel.js'
import { sequenceKey, sequenceOf, storedKey } from '../../src/assertions/keys.js'

describe('parseSnapChannel', () => {
  it.each([
    ['stable', 'latest/stable'],
    ['edge', 'latest/edge'],
    ['2.0', '2.0/stable'],
    ['2.0/edge', '2.0/edge'],
    ['latest/stable', 'latest/stable'],
    ['edge/fix', 'latest/edge/fix'],
    ['t/beta/b', 't/beta/b'],
  ])('%s → %s', (text, full) => expect(formatChannel(parseSnapChannel(text)!)).toBe(full))
  it.each(['', 'a/b/c/d', '2.0/nope', 'stable//x'])('refuses %j', (text) => expect(parseSnapChannel(text)).toBeUndefined())
})

describe('epochs', () => {
  it.each([
    [undefined, { read: [0], write: [0] }],
    ['0', { read: [0], write: [0] }],
    ['2', { read: [2], write: [2] }],
    ['2*', { read: [1, 2], write: [2] }],
    [
      { read: [1, 2], write: [2] },
      { read: [1, 2], write: [2] },
    ],
    [{ read: [3] }, { read: [3], write: [3] }],
    ['junk', { read: [0], write: [0] }],
  ])('reads %j', (v, e) => expect(epochOf(v)).toEqual(e))
  it('follows snapd CanRead: the candidate must read what the installed revision wrote', () => {
    expect(canRead(epochOf('1*'), epochOf('0'))).toBe(true)
    expect(canRead(epochOf('1'), epochOf('0'))).toBe(false)
    expect(canRead(epochOf('0'), epochOf('1*'))).toBe(false)
  })
})

describe('storedKey', () => {
  it.each([
    ['snap-declaration', ['16', 'abc'], '16/abc'],
    ['snap-revision', ['d'], 'd'],
    ['snap-revision', ['d', 'global-upload'], 'd'],
    ['snap-revision', ['d', 'other'], 'd/other'],
    ['account', ['x'], 'x'],
    ['validation-set', ['16', 'a', 'n', '3'], '16/a/n/3'],
  ])('%s %j → %s', (type, parts, key) => expect(storedKey(type, parts)).toBe(key))
  it.each([
    ['snap-declaration', ['16']],
    ['account', ['a', 'b']],
    ['nope', ['x']],
    ['account', ['']],
    ['serial-request', []],
  ])('refuses %s %j', (type, parts) => expect(storedKey(type, parts)).toBeUndefined())
  it('finds sequences only for sequence-forming types, with every key but the last', () => {
    expect(sequenceKey('validation-set', ['16', 'a', 'n'])).toBe('16/a/n')
    expect(sequenceKey('validation-set', ['16', 'a', 'n', '3'])).toBeUndefined()
    expect(sequenceKey('snap-declaration', ['16'])).toBeUndefined()
    expect(sequenceOf('16/a/n', '16/a/n/12')).toBe(12)
    expect(sequenceOf('16/a/n', '16/a/nn/12')).toBeUndefined()
    expect(sequenceOf('16/a/n', '16/a/n/x')).toBeUndefined()
  })
})
