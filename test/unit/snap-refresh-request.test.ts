// parseRefreshRequest reads snapd's refresh body leniently; a field of the wrong type is a 400 whose
// message names the field by its place in the body, as snapd's own errors would.
import { describe, expect, it } from 'vitest'
import { parseRefreshRequest } from '../../src/snapstore/refresh-request.js'
import { BadRequest } from '../../src/http/request-fields.js'

const context = (id: string, extra: Record<string, unknown> = {}) => ({
  'snap-id': id,
  'instance-key': id,
  revision: 1,
  'tracking-channel': 'latest/stable',
  epoch: { read: [0], write: [0] },
  ...extra,
})
const refresh = (id: string, extra: Record<string, unknown> = {}) => ({ action: 'refresh', 'instance-key': id, 'snap-id': id, ...extra })

const refused = (body: unknown): string => {
  try {
    parseRefreshRequest(body)
  } catch (err) {
    expect(err).toBeInstanceOf(BadRequest)
    return (err as Error).message
  }
  throw new Error('accepted')
}

describe('parseRefreshRequest', () => {
  it('reads a device refresh: contexts and actions, null fields absent', () => {
    const r = parseRefreshRequest({
      context: [context('A'), context('B', { 'instance-key': null, 'tracking-channel': '' })],
      actions: [refresh('A'), { action: 'install', 'instance-key': 'x', name: 'hello', channel: 'edge', revision: null }],
      fields: ['snap-yaml'],
    })
    expect(r.contexts).toEqual([
      { snapId: 'A', instanceKey: 'A', revision: 1, trackingChannel: 'latest/stable', epoch: { read: [0], write: [0] } },
      { snapId: 'B', instanceKey: 'B', revision: 1, trackingChannel: undefined, epoch: { read: [0], write: [0] } },
    ])
    expect(r.actions.map((a) => [a.action, a.instanceKey, a.name, a.snapId, a.channel, a.revision])).toEqual([
      ['refresh', 'A', undefined, 'A', undefined, undefined],
      ['install', 'x', 'hello', undefined, 'edge', undefined],
    ])
    expect(r.fetches).toEqual([])
  })

  it('names the field of a list entry that has the wrong type or is missing', () => {
    const ok = [context('A'), context('B')]
    expect(refused({ context: [ok[0], context('B', { revision: '2' })] })).toBe('context[1].revision: expected an integer')
    expect(refused({ context: [context('A', { 'snap-id': 7 })] })).toBe('context[0].snap-id: expected a string')
    expect(refused({ context: [context('A', { 'snap-id': '' })] })).toBe('context[0].snap-id: required')
    expect(refused({ context: [ok[0], 'B'] })).toBe('context[1]: expected an object')
    expect(refused({ context: ok, actions: [refresh('A'), refresh('B', { 'instance-key': 3 })] })).toBe(
      'actions[1].instance-key: expected a string',
    )
    expect(refused({ context: ok, actions: [refresh('A', { 'instance-key': '' })] })).toBe('actions[0].instance-key: required')
    expect(refused({ context: ok, actions: [refresh('A', { channel: ['edge'] })] })).toBe('actions[0].channel: expected a string')
    expect(refused({ context: ok, actions: [refresh('A', { revision: 1.5 })] })).toBe('actions[0].revision: expected an integer')
    expect(refused({ actions: [{ action: 'remove', 'instance-key': 'A' }] })).toBe(
      'actions[0].action: expected install, download, refresh or fetch-assertions',
    )
    expect(refused({ actions: [{ action: 'install', 'instance-key': 'A' }] })).toBe('actions[0]: name or snap-id required')
    expect(refused({ actions: [{ action: 'fetch-assertions', key: 'g', assertions: [{ type: 'model' }] }] })).toBe(
      'actions[0].assertions[0]: primary-key or sequence-key required',
    )
  })
})
