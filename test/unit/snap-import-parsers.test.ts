// The pure parts of the snap importer: snap.yaml (as snapd reads it), epochs, and channel-map probing.
import { describe, expect, it } from 'vitest'
import { formatChannel } from '../../src/catalog/channel.js'
import { parseEpoch, parseSnapYaml } from '../../src/import/snap-yaml.js'
import { probeExportJson, releasesFor, storeFor } from '../../src/import/snap-channels.js'
import { assertionKey } from '../../src/assertions/keys.js'
import { parseAssertions } from '../../src/assertions/parse.js'
import { fixture } from '../support/assertion-signer.js'

const at = { file: 'x.snap', field: 'epoch' }

describe('snap.yaml', () => {
  it('keeps scalars as written and applies snapd defaults (architectures: all, as snapd)', () => {
    const m = parseSnapYaml('name: hello\nversion: 1.10\n', { file: 'x' })
    expect(m).toMatchObject({
      name: 'hello',
      version: '1.10',
      type: 'app',
      confinement: 'strict',
      grade: 'stable',
      architectures: ['all'],
      base: undefined,
      epoch: { read: [0], write: [0] },
    })
    expect(parseSnapYaml('name: snapd\ntype: app\n', {}).type).toBe('snapd')
    expect(parseSnapYaml('name: core\ntype: os\narchitectures: [all]\n', {})).toMatchObject({ type: 'os', architectures: ['all'] })
  })
  it.each([
    ['version: 1\n', /\(name\): missing/],
    ['name: Hello\n', /"Hello" is not a valid snap name/],
    ['name: a--b\n', /not a valid snap name/],
    ['name: ok\ntype: core\n', /\(type\): "core" is not one of/],
    ['name: ok\narchitectures: [all, amd64]\n', /"all" cannot be combined/],
    ['name: ok\nsummary: [a]\n', /\(summary\): expected a string/],
  ])('refuses %j', (text, message) => {
    expect(() => parseSnapYaml(text, { file: 'x.snap' })).toThrow(message)
  })
})

describe('epoch', () => {
  it.each([
    [undefined, { read: [0], write: [0] }],
    ['0', { read: [0], write: [0] }],
    ['3', { read: [3], write: [3] }],
    ['3*', { read: [2, 3], write: [3] }],
    [{ read: ['1', '2'] }, { read: [1, 2], write: [1, 2] }],
    [{ write: ['2'] }, { read: [2], write: [2] }],
    [
      { read: ['1', '2'], write: ['2'] },
      { read: [1, 2], write: [2] },
    ],
  ])('%j → %j', (v, want) => expect(parseEpoch(v, at)).toEqual(want))
  it.each([['0*'], ['-1'], ['x'], [{ read: [] }], [{ read: ['2', '1'] }], [{ read: ['1'], write: ['2'] }]])('refuses %j', (v) => {
    expect(() => parseEpoch(v, at)).toThrow(/x\.snap \(epoch/)
  })
})

describe('channel maps in export JSON', () => {
  const file = (value: unknown, member = 'm.json') => ({ value, location: { file: 'e.tar.gz', member: [member] } })
  const revs = [
    { snap: 'jq', revision: 6, architectures: ['amd64'] },
    { snap: 'jq', revision: 8, architectures: ['arm64'] },
    { snap: 'ga', revision: 51, architectures: ['all'] },
    { snap: 'ga', revision: 82, architectures: ['all'] },
  ]
  const show = (m: Map<string, ReturnType<typeof releasesFor> extends Map<string, infer V> ? V : never>) =>
    Object.fromEntries([...m].map(([k, v]) => [k, v?.map(formatChannel)]))

  it('reads info-style channel maps, push_channel lists and channel strings; the last release wins', () => {
    const hints = probeExportJson([
      file({
        name: 'jq',
        'snap-id': 'x',
        'channel-map': [
          { channel: { architecture: 'amd64', name: 'stable', risk: 'stable', track: 'latest' }, revision: 6 },
          { channel: { architecture: 'arm64', name: '2/edge/fix', risk: 'edge', track: '2' }, revision: 8 },
        ],
      }),
      file(
        {
          packages: [
            { name: 'ga', push_channel: 'latest/stable', revision: 51 },
            { name: 'ga', push_channel: 'stable', revision: 82 },
          ],
          store: 'acme',
        },
        'n.json',
      ),
    ])
    expect(show(releasesFor(hints, revs))).toEqual({
      'jq/6': ['latest/stable'],
      'jq/8': ['2/edge/fix'],
      'ga/51': [],
      'ga/82': ['latest/stable'],
    })
    expect(storeFor(hints, 'ga')).toBe('acme')
    expect(storeFor(hints, 'jq')).toBe('acme') // an unattributed store id applies to every snap
  })
  it('says nothing (use --channel) about snaps the JSON does not mention', () => {
    const hints = probeExportJson([file([{ name: 'other', push_channel: 'edge', revision: 6 }])])
    expect(show(releasesFor(hints, revs))['jq/6']).toBeUndefined()
    expect(storeFor(probeExportJson([]), 'jq')).toBe('ubuntu')
  })
  it('names the member and the field of a bad channel', () => {
    expect(() => probeExportJson([file({ releases: [{ channel: 'a/b/c/d', revision: 1 }] })])).toThrow(
      'e.tar.gz: m.json (releases[0].channel): "a/b/c/d" is not a channel',
    )
  })
})

describe('stored primary keys', () => {
  it('joins the primary key headers with "/" and leaves a default provenance out', () => {
    const [account, key] = parseAssertions(
      Buffer.concat([fixture('testrootorg.account'), Buffer.from('\n'), fixture('test-root.account-key')]),
    )
    expect(assertionKey(account!)).toBe('testrootorg')
    expect(assertionKey(key!)).toBe('hIedp1AvrWlcDI4uS_qjoFLzjKl5enu4G2FYJpgB3Pj-tUzGlTQBxMBsBmi-tnJR')
  })
})
