// The refresh answer's fast path without HTTP: the derived-value cache (invalidated by the index
// replacing a package object, bounded by weight) and result JSON spliced around a cached `snap`
// text, which must be the very bytes JSON.stringify gives for the whole result.
import { describe, expect, it } from 'vitest'
import { DerivedCache } from '../../src/catalog/derived-cache.js'
import { parseChannel } from '../../src/catalog/channel.js'
import type { IndexedPackage, IndexedRevision } from '../../src/catalog/index.js'
import { CatalogIndex } from '../../src/catalog/index.js'
import { resolveSnapActions, revisionEpoch, snapChannelPick, type SnapAction } from '../../src/catalog/snap-select.js'
import { joinBytes } from '../../src/http/join-bytes.js'
import { publicUrls } from '../../src/http/public-urls.js'
import { foundResultHead, foundResultTail, refreshResultWire } from '../../src/snapstore/to-wire.js'

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
    c.set('k', a, 'v')
    expect(c.get('k', a)).toBe('v')
    const reloaded = { ...a }
    expect(c.get('k', reloaded)).toBeUndefined()
    // The stale entry is gone, not just skipped.
    expect(c.size).toBe(0)
    expect(c.get('k', a)).toBeUndefined()
  })

  it('drops the least recently used entries past its weight', () => {
    const c = new DerivedCache<string, string>(10, (s) => s.length)
    const p = snap('p')
    c.set('a', p, 'aaaa')
    c.set('b', p, 'bbbb')
    expect(c.get('a', p)).toBe('aaaa') // a is now more recent than b
    c.set('c', p, 'cccc')
    expect(c.get('b', p)).toBeUndefined()
    expect(c.get('a', p)).toBe('aaaa')
    expect(c.get('c', p)).toBe('cccc')
    expect(c.weight).toBe(8)
    c.set('a', p, 'A') // replacing re-weighs
    expect(c.weight).toBe(5)
    c.set('big', p, 'x'.repeat(11)) // larger than the whole cache: not kept, nothing evicted
    expect(c.get('big', p)).toBeUndefined()
    expect(c.size).toBe(2)
  })
})

describe('foundResultHead + foundResultTail', () => {
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
  const outcomes = resolveSnapActions(index, [{ snapId: hello.id, instanceKey: hello.id, revision: 1, trackingChannel: 'edge' }], actions, { architecture: 'amd64', series: '16' })

  it.each([
    ['with snap-yaml', 'name: hello\nversion: "1"\n'],
    ['with a null snap-yaml', null],
    ['without texts', undefined],
  ])('is JSON.stringify of the whole result, %s', (_what, yaml) => {
    expect(outcomes.map((o) => o.kind)).toEqual(['found', 'found', 'found', 'found'])
    for (const o of outcomes) {
      if (o.kind !== 'found') continue
      const spliced = foundResultHead(o) + foundResultTail(urls, o.pkg, o.revision, yaml)
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
