// actionShape keys the Charmhub refresh answer cache: two actions may share a shape only when they
// differ in nothing but instance-key.
import { describe, expect, it } from 'vitest'
import { actionShape, type RefreshAction, type RefreshContext } from '../../src/catalog/refresh-actions.js'

const base = { name: 'ubuntu', channel: '22.04', architecture: 'amd64' }
const install: RefreshAction = { action: 'install', instanceKey: 'k1', name: 'pg', channel: '14/stable', base }
const ctx: RefreshContext = { instanceKey: 'k2', id: 'ID1', revision: 3, base, trackingChannel: '14/stable' }
const refresh: RefreshAction = { action: 'refresh', instanceKey: 'k2' }

describe('actionShape', () => {
  it('ignores instance-key', () => {
    expect(actionShape({ ...install, instanceKey: 'other' }, [])).toBe(actionShape(install, []))
    expect(actionShape({ ...refresh, instanceKey: 'k3' }, [{ ...ctx, instanceKey: 'k3' }])).toBe(actionShape(refresh, [ctx]))
  })

  it('tells apart every install or download field that selection reads', () => {
    const variants: RefreshAction[] = [
      install,
      { ...install, action: 'download' },
      { ...install, name: 'pg2' },
      { ...install, name: undefined, id: 'ID1' },
      { ...install, channel: 'stable' },
      { ...install, channel: undefined },
      { ...install, revision: 7 },
      { ...install, base: { ...base, architecture: 'arm64' } },
      { ...install, base: { ...base, channel: '24.04' } },
      { ...install, base: { ...base, name: 'centos' } },
      { ...install, base: null },
      { ...install, resourceRevisions: [{ name: 'r', revision: 2 }] },
    ]
    expect(new Set(variants.map((v) => actionShape(v, []))).size).toBe(variants.length)
  })

  it("tells apart refresh actions by their context's id, tracking channel and base", () => {
    const shapes = [
      actionShape(refresh, [ctx]),
      actionShape(refresh, [{ ...ctx, id: 'ID2' }]),
      actionShape(refresh, [{ ...ctx, trackingChannel: 'latest/stable' }]),
      actionShape(refresh, [{ ...ctx, base: { ...base, architecture: 's390x' } }]),
      actionShape(refresh, []),
    ]
    expect(new Set(shapes).size).toBe(shapes.length)
    // The action's id overrides the context's: the same package, so the same shape.
    expect(actionShape({ ...refresh, id: 'ID2' }, [ctx])).toBe(actionShape(refresh, [{ ...ctx, id: 'ID2' }]))
  })
})
