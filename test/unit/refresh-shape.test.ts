// refreshShape is what Charmhub selection reads of an action, and its key (refreshShapeKey) keys the
// refresh answer cache: two actions share a key only when they differ in nothing selection reads.
import { describe, expect, it } from 'vitest'
import {
  refreshShape,
  refreshShapeKey,
  resolveRefresh,
  type RefreshAction,
  type RefreshContext,
} from '../../src/catalog/refresh-actions.js'
import { CatalogIndex } from '../../src/catalog/index.js'
import { parseChannel } from '../../src/catalog/channel.js'

const base = { name: 'ubuntu', channel: '22.04', architecture: 'amd64' }
const install: RefreshAction = { action: 'install', instanceKey: 'k1', name: 'pg', channel: '14/stable', base }
const ctx: RefreshContext = { instanceKey: 'k2', id: 'ID1', revision: 3, base, trackingChannel: '14/stable' }
const refresh: RefreshAction = { action: 'refresh', instanceKey: 'k2' }

const key = (a: RefreshAction, c: RefreshContext[] = []): string => {
  const s = refreshShape(a, c)
  if (!s) return 'none'
  const k = refreshShapeKey(s)
  return `${k.handle}|${k.rest}`
}

describe('refreshShape and its key', () => {
  it('leave out instance-key', () => {
    expect(key({ ...install, instanceKey: 'other' })).toBe(key(install))
    expect(key({ ...refresh, instanceKey: 'k3' }, [{ ...ctx, instanceKey: 'k3' }])).toBe(key(refresh, [ctx]))
  })

  it('tell apart every install or download field that selection reads', () => {
    const variants: RefreshAction[] = [
      install,
      { ...install, action: 'download' },
      { ...install, name: 'pg2' },
      { ...install, name: undefined, id: 'ID1' },
      { ...install, name: undefined, id: 'pg' }, // an id that spells a name is still an id
      { ...install, channel: 'stable' },
      { ...install, channel: undefined },
      { ...install, revision: 7 },
      { ...install, base: { ...base, architecture: 'arm64' } },
      { ...install, base: { ...base, channel: '24.04' } },
      { ...install, base: { ...base, name: 'centos' } },
      { ...install, base: null },
      { ...install, resourceRevisions: [{ name: 'r', revision: 2 }] },
    ]
    expect(new Set(variants.map((v) => key(v))).size).toBe(variants.length)
  })

  it("tell apart refresh actions by their context's id, tracking channel and base", () => {
    const keys = [
      key(refresh, [ctx]),
      key(refresh, [{ ...ctx, id: 'ID2' }]),
      key(refresh, [{ ...ctx, trackingChannel: 'latest/stable' }]),
      key(refresh, [{ ...ctx, base: { ...base, architecture: 's390x' } }]),
    ]
    expect(new Set(keys).size).toBe(keys.length)
    expect(refreshShape(refresh, [])).toBeUndefined()
    // The action's id overrides the context's: the same package, so the same shape.
    expect(key({ ...refresh, id: 'ID2' }, [ctx])).toBe(key(refresh, [{ ...ctx, id: 'ID2' }]))
  })

  it('resolve alike when their keys are equal, and a refresh without context is an invalid request', () => {
    const index = new CatalogIndex()
    const rev = {
      revision: 1,
      version: '1',
      createdAt: '',
      platforms: [base],
      blob: { sha256: '', sha384: '', sha3_384: '', size: 1 },
      resources: [],
      subordinate: false,
    }
    index.put({
      id: 'ID1',
      type: 'charm',
      name: 'pg',
      summary: '',
      description: '',
      title: '',
      publisher: null,
      details: {},
      defaultTrack: 'latest',
      searchText: '',
      revisions: new Map([[1, rev]]),
      resources: new Map(),
      releases: [{ channel: parseChannel('14/stable')!, base, revision: 1, releasedAt: '' }],
    })
    const byName = { ...install, instanceKey: 'a' }
    const byId: RefreshAction = { ...install, name: undefined, id: 'ID1', instanceKey: 'b' }
    const [a, b, c, d] = resolveRefresh(index, [ctx], [byName, byId, refresh, { ...refresh, instanceKey: 'nowhere' }])
    expect([a!.kind, b!.kind, c!.kind]).toEqual(['found', 'found', 'found'])
    expect(d).toMatchObject({ kind: 'error', code: 'invalid-request' })
    expect(resolveRefresh(index, [], [{ ...byName, instanceKey: 'z' }])[0]).toMatchObject({ ...a, action: { instanceKey: 'z' } })
  })
})
