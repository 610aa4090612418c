// The refresh answer's fast path without HTTP: the derived-value cache (invalidated by the index
// replacing a package object, bounded by weight) and result JSON spliced around a cached `snap`
// text, which must be the very bytes JSON.stringify gives for the whole result.
import { describe, expect, it } from 'vitest'
import { DerivedCache } from '../../src/catalog/derived-cache.js'
import { parseChannel } from '../../src/catalog/channel.js'
import type { IndexedPackage, IndexedRevision } from '../../src/catalog/index.js'
import { CatalogIndex } from '../../src/catalog/index.js'
import { contextsByKey, resolveSnapActions, revisionEpoch, snapActionShape, snapChannelPick, snapEnvShape, snapShaper, type SnapAction, type SnapContext } from '../../src/catalog/snap-select.js'
import { joinBytes } from '../../src/http/join-bytes.js'
import { publicUrls } from '../../src/http/public-urls.js'
import { refreshResultWire } from '../../src/snapstore/to-wire.js'
import { fillTemplate, jsonTemplate } from '../../src/http/json-template.js'
import { KeptResults } from '../../src/snapstore/kept-results.js'
import { CacheStats } from '../../src/catalog/cache-stats.js'

function snap(name: string, details: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): IndexedPackage {
  const rev = (n: number): IndexedRevision => ({
    revision: n, version: `${n}.0 "quoted" \u2028`, createdAt: '2024-01-01T00:00:00.000000+00:00', platforms: [{ name: 'ubuntu', channel: '16', architecture: 'amd64' }],
    blob: { sha256: 'a'.repeat(64), sha384: 'b', sha3_384: 'C'.repeat(96), size: 4096 * n }, resources: [], subordinate: false, extra,
  })
  return {
    id: name.padEnd(32, 'x'), type: 'snap', name, summary: 'sum\nmary', description: 'd\u00e9scription <tag> \\ "q"', title: '', publisher: { id: 'p', username: 'pub', 'display-name': 'Pub' } as never,
    details, defaultTrack: 'latest', revisions: new Map([[1, rev(1)], [2, rev(2)]]), resources: new Map(), searchText: name,
    releases: [
      { channel: parseChannel('stable')!, base: { name: 'ubuntu', channel: '16', architecture: 'amd64' }, revision: 1, releasedAt: '2024-01-02T00:00:00.000000+00:00' },
      { channel: parseChannel('edge')!, base: { name: 'ubuntu', channel: '16', architecture: 'amd64' }, revision: 2, releasedAt: '2024-01-02T00:00:00.000000+00:00' },
    ],
  }
}

describe('DerivedCache', () => {
  it('returns a value only for the package object it was made from', () => {
    const c = new DerivedCache<string, string>(100)
    const a = snap('a')
    c.set(a, 'k', 'v')
    expect(c.get(a, 'k')).toBe('v')
    const reloaded = { ...a }
    expect(c.get(reloaded, 'k')).toBeUndefined()
    expect(c.get(snap('b'), 'k')).toBeUndefined()
  })

  it("evicts the replaced object's entries first: they are never used again", () => {
    const c = new DerivedCache<string, string>(8, (s) => s.length)
    const a = snap('a')
    c.set(a, 'k', 'old!')
    const reloaded = { ...a }
    c.set(reloaded, 'j', 'used')
    expect(c.get(reloaded, 'j')).toBe('used')
    c.set(reloaded, 'k', 'new!')
    expect(c.get(a, 'k')).toBeUndefined()
    expect(c.get(reloaded, 'j')).toBe('used')
    expect(c.get(reloaded, 'k')).toBe('new!')
  })

  it('drops the least recently used entries past its weight', () => {
    const c = new DerivedCache<string, string>(10, (s) => s.length)
    const p = snap('p')
    c.set(p, 'a', 'aaaa')
    c.set(p, 'b', 'bbbb')
    expect(c.get(p, 'a')).toBe('aaaa') // a is now more recent than b
    c.set(p, 'c', 'cccc')
    expect(c.get(p, 'b')).toBeUndefined()
    expect(c.get(p, 'a')).toBe('aaaa')
    expect(c.get(p, 'c')).toBe('cccc')
    expect(c.weight).toBe(8)
    c.set(p, 'a', 'A') // replacing re-weighs
    expect(c.weight).toBe(5)
    c.set(p, 'big', 'x'.repeat(11)) // larger than the whole cache: not kept, nothing evicted
    expect(c.get(p, 'big')).toBeUndefined()
    expect(c.size).toBe(2)
  })
})

describe('a kept snap result (jsonTemplate, slot first)', () => {
  const urls = publicUrls('http://store.example:8080/')
  const hello = snap('hello', {
    links: { website: ['https://x'], bad: [1] }, media: [{ type: 'icon', url: 'u', width: 4 }, { type: 1 }], categories: ['a', { name: 'b', featured: true }, 3],
    license: 'MIT', 'common-ids': ['io.x', 7],
  }, { base: 'core22', confinement: 'classic', type: 'app', epoch: '1*' })
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
  const outcomes = resolveSnapActions(index, contextsByKey([{ snapId: hello.id, instanceKey: hello.id, revision: 1, trackingChannel: 'edge' }]), actions, { architecture: 'amd64', series: '16' })

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
    }
  })
})

describe('snapChannelPick', () => {
  it('picks as snapReleaseFor does, once per package object, channel text and architecture', () => {
    const p = snap('p')
    const stable = snapChannelPick(p, 'stable', 'amd64')
    expect(stable.wanted).toEqual({ track: 'latest', risk: 'stable', branch: '' })
    expect(stable.release?.revision).toBe(1)
    expect(snapChannelPick(p, 'stable', 'amd64')).toBe(stable)
    expect(snapChannelPick(p, 'latest/edge', 'amd64').release?.revision).toBe(2)
    expect(snapChannelPick(p, 'beta', 'amd64').release?.revision).toBe(1) // falls back to stable
    expect(snapChannelPick(p, 'stable', 'arm64').release).toBeUndefined()
    expect(snapChannelPick(p, 'a/b/c/d', 'amd64')).toEqual({ wanted: undefined, release: undefined })
    // A reloaded package (a new object) is picked afresh.
    const reloaded = { ...p, releases: [{ ...p.releases[0]!, revision: 2 }] }
    expect(snapChannelPick(reloaded, 'stable', 'amd64').release?.revision).toBe(2)
  })

  it('stays bounded whatever channel spellings clients send', () => {
    const p = snap('q')
    for (let i = 0; i < 500; i++) expect(snapChannelPick(p, `stable/b${i}`, 'amd64').release?.revision).toBe(1)
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

describe('snapActionShape', () => {
  const env = { architecture: 'amd64', series: '16' }
  const install: SnapAction = { action: 'install', instanceKey: 'k', name: 'hello', channel: 'stable' }
  const ctx: SnapContext = { snapId: 'ID1', instanceKey: 'ID1', revision: 1, trackingChannel: 'latest/stable', epoch: { read: [0], write: [0] } }
  const refresh: SnapAction = { action: 'refresh', instanceKey: 'ID1', snapId: 'ID1' }
  const shape = (a: SnapAction, c: SnapContext[] = [], e = env) => snapActionShape(a, contextsByKey(c), snapEnvShape(e))

  it('leaves out the instance-key and which snap (the cache is per package object)', () => {
    expect(shape({ ...install, instanceKey: 'other' })).toBe(shape(install))
    expect(shape({ ...install, name: undefined, snapId: 'ID1' })).toBe(shape(install))
    expect(shape({ ...refresh, snapId: 'ID2', instanceKey: 'ID2' }, [{ ...ctx, snapId: 'ID2', instanceKey: 'ID2' }])).toBe(shape(refresh, [ctx]))
  })

  it('tells apart everything an outcome depends on', () => {
    const shapes = [
      shape(install),
      shape({ ...install, action: 'download' }),
      shape({ ...install, channel: 'edge' }),
      shape({ ...install, channel: undefined }),
      shape({ ...install, revision: 3 }),
      shape({ ...install, epoch: { read: [1], write: [1] } }),
      shape(install, [], { architecture: 'arm64', series: '16' }),
      shape(install, [], { architecture: 'amd64', series: '18' }),
      shape(refresh, [ctx]),
      shape(refresh, [{ ...ctx, trackingChannel: 'latest/edge' }]),
      shape(refresh, [{ ...ctx, epoch: { read: [0, 1], write: [1] } }]),
      shape({ ...refresh, channel: 'beta' }, [ctx]),
      shape(refresh, []),
    ]
    expect(new Set(shapes).size).toBe(shapes.length)
  })
})

describe('snapShaper', () => {
  it('gives snapActionShape + suffix for every action, reusing the string while inputs repeat', () => {
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
    const env = snapEnvShape({ architecture: 'amd64', series: '16' })
    const shapeOf = snapShaper(contexts, env, '|tail')
    const got = actions.map(shapeOf)
    expect(got).toEqual(actions.map((a) => snapActionShape(a, contexts, env) + '|tail'))
    expect(got[1]).toBe(got[0])
    expect(new Set(got).size).toBe(9) // A = B; C = E (no epoch is epoch 0); installs x = y (null and absent epochs)
  })
})

describe('KeptResults', () => {
  it('finds a whole result by snap-id only while the index is unchanged and the key matches', () => {
    const index = new CatalogIndex()
    const a = snap('a')
    const b = snap('b')
    index.put(a)
    index.put(b)
    const kept = new KeptResults(index, new CacheStats())
    const bytes = Buffer.from(',{"result":"refresh"}')
    kept.setWhole(a, 'k', bytes, index.generation)
    expect(kept.wholeBySnapId(a.id, 'k')).toBe(bytes)
    expect(kept.wholeBySnapId(a.id, 'other')).toBeUndefined()
    expect(kept.wholeBySnapId(b.id, 'k')).toBeUndefined()
    // Any change to the index: looked up again through the package, which for `a` is the same object.
    index.put({ ...b })
    expect(kept.wholeBySnapId(a.id, 'k')).toBeUndefined()
    expect(kept.whole(a, 'k')).toBe(bytes)
    expect(kept.wholeBySnapId(a.id, 'k')).toBe(bytes)
    // `a` reloaded: its old results are gone for good.
    const before = index.generation
    const reloaded = { ...a }
    index.put(reloaded)
    expect(kept.wholeBySnapId(a.id, 'k')).toBeUndefined()
    expect(kept.whole(reloaded, 'k')).toBeUndefined()
    // A result made from the replaced object (a request that was in flight) is not found by snap-id.
    kept.setWhole(a, 'k', bytes, before)
    expect(kept.wholeBySnapId(a.id, 'k')).toBeUndefined()
  })
})
