// The refresh answer's fast path without HTTP: action shapes and their cache keys, and result JSON
// kept with one instance-key and spliced around another, which must be the very bytes
// JSON.stringify gives for the whole result.
import { describe, expect, it } from 'vitest'
import { parseChannel } from '../../src/catalog/channel.js'
import type { IndexedPackage, IndexedRevision } from '../../src/catalog/index.js'
import { CatalogIndex } from '../../src/catalog/index.js'
import {
  contextsByKey,
  resolveSnapActions,
  resolveSnapShape,
  revisionEpoch,
  snapActionShape,
  snapShapeKey,
  snapShapeKeys,
  type SnapAction,
  type SnapContext,
  type SnapEnv,
} from '../../src/catalog/snap-select.js'
import { joinBytes } from '../../src/http/join-bytes.js'
import { publicUrls } from '../../src/http/public-urls.js'
import { refreshResultWire } from '../../src/snapstore/to-wire.js'
import { fillTemplate, jsonTemplate } from '../../src/http/json-template.js'
import { keptResult, pushResult } from '../../src/snapstore/answer-cache.js'

function snap(name: string, details: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): IndexedPackage {
  const rev = (n: number): IndexedRevision => ({
    revision: n,
    version: `${n}.0 "quoted" \u2028`,
    createdAt: '2024-01-01T00:00:00.000000+00:00',
    platforms: [{ name: 'ubuntu', channel: '16', architecture: 'amd64' }],
    blob: { sha256: 'a'.repeat(64), sha384: 'b', sha3_384: 'C'.repeat(96), size: 4096 * n },
    resources: [],
    subordinate: false,
    extra,
  })
  return {
    id: name.padEnd(32, 'x'),
    type: 'snap',
    name,
    summary: 'sum\nmary',
    description: 'd\u00e9scription <tag> \\ "q"',
    title: '',
    publisher: { id: 'p', username: 'pub', 'display-name': 'Pub' } as never,
    details,
    defaultTrack: 'latest',
    revisions: new Map([
      [1, rev(1)],
      [2, rev(2)],
    ]),
    resources: new Map(),
    searchText: name,
    releases: [
      {
        channel: parseChannel('stable')!,
        base: { name: 'ubuntu', channel: '16', architecture: 'amd64' },
        revision: 1,
        releasedAt: '2024-01-02T00:00:00.000000+00:00',
      },
      {
        channel: parseChannel('edge')!,
        base: { name: 'ubuntu', channel: '16', architecture: 'amd64' },
        revision: 2,
        releasedAt: '2024-01-02T00:00:00.000000+00:00',
      },
    ],
  }
}

describe('a kept snap result (jsonTemplate, slot first)', () => {
  const urls = publicUrls('http://store.example:8080/')
  const hello = snap(
    'hello',
    {
      links: { website: ['https://x'], bad: [1] },
      media: [{ type: 'icon', url: 'u', width: 4 }, { type: 1 }],
      categories: ['a', { name: 'b', featured: true }, 3],
      license: 'MIT',
      'common-ids': ['io.x', 7],
    },
    { base: 'core22', confinement: 'classic', type: 'app', epoch: '1*' },
  )
  const plain = snap('plain')
  const index = new CatalogIndex()
  index.put(hello)
  index.put(plain)
  const actions: SnapAction[] = [
    { action: 'install', instanceKey: 'install-1', name: 'hello', channel: 'stable' },
    { action: 'download', instanceKey: 'k "with" \\ quotes \u2028', name: 'plain', channel: 'edge' },
    { action: 'refresh', instanceKey: hello.id, snapId: hello.id },
    { action: 'install', instanceKey: 'i', name: 'hello', revision: 2 },
  ]
  const outcomes = resolveSnapActions(
    index,
    contextsByKey([{ snapId: hello.id, instanceKey: hello.id, revision: 1, trackingChannel: 'edge' }]),
    actions,
    { architecture: 'amd64', series: '16' },
  )

  it.each([
    ['with snap-yaml', 'name: hello\nversion: "1"\n'],
    ['with a null snap-yaml', null],
    ['without texts', undefined],
  ])('is JSON.stringify of the whole result, %s', (_what, yaml) => {
    expect(outcomes.map((o) => o.kind)).toEqual(['found', 'found', 'found', 'found'])
    for (const o of outcomes) {
      if (o.kind !== 'found') continue
      const t = jsonTemplate((slot) => refreshResultWire(urls, { ...o, action: { ...o.action, instanceKey: slot } }, yaml), 'first')
      const spliced = fillTemplate(t, o.action.instanceKey)
      expect(spliced).toBe(JSON.stringify(refreshResultWire(urls, o, yaml)))
      // Kept with one instance-key, answered with it or with another, first or after a comma.
      const kept = keptResult(t, 'first-key')
      for (const [ik, first] of [
        ['first-key', true],
        ['first-key', false],
        [o.action.instanceKey, true],
        [o.action.instanceKey, false],
      ] as const) {
        const parts: Array<string | Buffer> = []
        pushResult(parts, kept, ik, first)
        expect(joinBytes(parts).toString()).toBe((first ? '' : ',') + fillTemplate(t, ik))
      }
    }
  })
})

describe('revisionEpoch', () => {
  it('is epochOf the revision extra, computed once', () => {
    const p = snap('e', {}, { epoch: '2*' })
    const e = revisionEpoch(p.revisions.get(1)!)
    expect(e).toEqual({ read: [1, 2], write: [2] })
    expect(revisionEpoch(p.revisions.get(1)!)).toBe(e)
  })
})

describe('joinBytes', () => {
  it('is the UTF-8 of the concatenation', () => {
    const parts = ['{"a":', Buffer.from('"d\u00e9j\u00e0 \u2028"'), ',"b":"é ☃ 😀"', Buffer.alloc(0), '', '}']
    const joined = joinBytes(parts)
    expect(joined.toString()).toBe(parts.map(String).join(''))
    expect(joined.length).toBe(Buffer.byteLength(parts.map(String).join('')))
    expect(joinBytes([]).length).toBe(0)
  })
})

describe('snapActionShape and its key', () => {
  const env = { architecture: 'amd64', series: '16' }
  const install: SnapAction = { action: 'install', instanceKey: 'k', name: 'hello', channel: 'stable' }
  const ctx: SnapContext = {
    snapId: 'ID1',
    instanceKey: 'ID1',
    revision: 1,
    trackingChannel: 'latest/stable',
    epoch: { read: [0], write: [0] },
  }
  const refresh: SnapAction = { action: 'refresh', instanceKey: 'ID1', snapId: 'ID1' }
  const key = (a: SnapAction, c: SnapContext[] = [], e: SnapEnv = env): string => {
    const s = snapActionShape(a, contextsByKey(c), e)
    if (!s) return 'none'
    const k = snapShapeKey(s)
    return `${k.handle}|${k.rest}`
  }

  it('leave out the instance-key', () => {
    expect(key({ ...install, instanceKey: 'other' })).toBe(key(install))
    expect(key({ ...refresh, instanceKey: 'k2' }, [{ ...ctx, instanceKey: 'k2' }])).toBe(key(refresh, [ctx]))
  })

  it('tell apart everything an outcome depends on', () => {
    const keys = [
      key(install),
      key({ ...install, action: 'download' }),
      key({ ...install, name: 'other' }),
      key({ ...install, name: undefined, snapId: 'hello' }), // an id that spells a name is still an id
      key({ ...install, channel: 'edge' }),
      key({ ...install, channel: undefined }),
      key({ ...install, revision: 3 }),
      key({ ...install, epoch: { read: [1], write: [1] } }),
      key(install, [], { architecture: 'arm64', series: '16' }),
      key(install, [], { architecture: 'amd64', series: '18' }),
      key(refresh, [ctx]),
      key({ ...refresh, snapId: 'ID2' }, [ctx]),
      key(refresh, [{ ...ctx, trackingChannel: 'latest/edge' }]),
      key(refresh, [{ ...ctx, epoch: { read: [0, 1], write: [1] } }]),
      key({ ...refresh, channel: 'beta' }, [ctx]),
    ]
    expect(new Set(keys).size).toBe(keys.length)
    // A refresh that names no snap has no shape; one whose context names no epoch is at epoch 0.
    expect(key({ action: 'refresh', instanceKey: 'nowhere' })).toBe('none')
    expect(key(refresh, [{ ...ctx, epoch: undefined }])).toBe(key(refresh, [ctx]))
  })

  it('is all selection reads: an outcome is resolveSnapShape of the shape, whatever else the action holds', () => {
    const index = new CatalogIndex()
    const p = snap('p')
    index.put(p)
    const contexts = contextsByKey([{ ...ctx, snapId: p.id, instanceKey: p.id }])
    for (const a of [
      { ...install, name: 'p' },
      { ...install, name: 'p', channel: 'edge' },
      { ...refresh, snapId: p.id, instanceKey: p.id },
      { ...install, name: 'nope' },
    ] as SnapAction[]) {
      const [o] = resolveSnapActions(index, contexts, [a], env)
      expect(o).toEqual({ ...resolveSnapShape(index, snapActionShape(a, contexts, env)!), action: a })
    }
  })
})

describe('snapShapeKeys', () => {
  it('gives snapShapeKey + suffix for every shape, reusing the rest string while fields repeat', () => {
    const ctxs: SnapContext[] = [
      { snapId: 'A', instanceKey: 'A', revision: 1, trackingChannel: 'latest/stable', epoch: { read: [0], write: [0] } },
      { snapId: 'B', instanceKey: 'B', revision: 1, trackingChannel: 'latest/stable', epoch: { read: [0], write: [0] } },
      { snapId: 'C', instanceKey: 'C', revision: 1, trackingChannel: 'latest/edge', epoch: { read: [0], write: [0] } },
      { snapId: 'D', instanceKey: 'D', revision: 1, trackingChannel: 'latest/edge', epoch: { read: [0, 1], write: [1] } },
      { snapId: 'E', instanceKey: 'E', revision: 1, trackingChannel: 'latest/edge' },
    ]
    const actions: SnapAction[] = [
      ...ctxs.map((c): SnapAction => ({ action: 'refresh', instanceKey: c.instanceKey, snapId: c.snapId })),
      { action: 'refresh', instanceKey: 'nowhere', snapId: 'F' },
      { action: 'refresh', instanceKey: 'E', snapId: 'E', channel: 'beta' },
      { action: 'refresh', instanceKey: 'E', snapId: 'E', channel: 'beta', revision: 3 },
      { action: 'install', instanceKey: 'install-1', name: 'x', channel: 'beta', epoch: null },
      { action: 'install', instanceKey: 'install-2', name: 'y', channel: 'beta' },
      { action: 'download', instanceKey: 'download-1', name: 'y', channel: 'beta' },
      { action: 'install', instanceKey: 'install-3', name: 'y', channel: 'beta', epoch: { read: [2], write: [2] } },
    ]
    const contexts = contextsByKey(ctxs)
    const env = { architecture: 'amd64', series: '16' }
    const shapes = actions.map((a) => snapActionShape(a, contexts, env)!)
    const keyOf = snapShapeKeys('|tail')
    const got = shapes.map(keyOf)
    expect(got).toEqual(shapes.map((s) => ({ handle: snapShapeKey(s).handle, rest: snapShapeKey(s).rest + '|tail' })))
    expect(got[1]!.rest).toBe(got[0]!.rest)
    expect(new Set(got.map((k) => k.rest)).size).toBe(9) // A = B; C = E (no epoch is epoch 0); installs x = y (null and absent epochs)
  })
})
