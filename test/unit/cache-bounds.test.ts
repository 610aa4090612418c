// Caches are bounded in bytes, not entries: many small values and a few large ones both stay under
// the cap (a catalog of big READMEs would otherwise fill memory at an entry count sized for small ones).
import { describe, expect, it } from 'vitest'
import { CatalogView } from '../../src/catalog/catalog-view.js'
import type { CatalogReader, ChangeCursor, RevisionTexts } from '../../src/catalog/ports.js'

const texts = (readme: string): RevisionTexts => ({
  metadataYaml: null,
  configYaml: null,
  actionsYaml: null,
  bundleYaml: null,
  readmeMd: readme,
  snapYaml: null,
  extra: {},
})

function reader(sizeOf: (revision: number) => number): CatalogReader & { reads: number } {
  const r = {
    reads: 0,
    load: async () => ({ full: true, packages: [], changed: [], cursor: { snapshot: '' } as unknown as ChangeCursor }),
    pruneChanges: async () => 0,
    async revisionTexts(_id: string, revision: number) {
      r.reads++
      return revision < 0 ? undefined : texts('x'.repeat(sizeOf(revision)))
    },
  }
  return r
}

describe('CatalogView revision texts', () => {
  it('keeps at most its byte budget, dropping the least recently used', async () => {
    const source = reader(() => 100_000)
    const view = new CatalogView(source, 1_000_000)
    for (let i = 0; i < 50; i++) await view.revisionTexts('p', i)
    expect(view.cachedTextBytes).toBeLessThanOrEqual(1_000_000)
    expect(view.cachedTextBytes).toBeGreaterThan(800_000)
    const before = source.reads
    await view.revisionTexts('p', 49) // recent: kept
    expect(source.reads).toBe(before)
    await view.revisionTexts('p', 0) // oldest: gone
    expect(source.reads).toBe(before + 1)
  })

  it('a text larger than the whole budget is served but not kept', async () => {
    const source = reader(() => 2_000_000)
    const view = new CatalogView(source, 1_000_000)
    expect((await view.revisionTexts('p', 1))?.readmeMd?.length).toBe(2_000_000)
    expect(view.cachedTextBytes).toBe(0)
  })

  it('a missing revision is not kept', async () => {
    const view = new CatalogView(
      reader(() => 10),
      1_000_000,
    )
    expect(await view.revisionTexts('p', -1)).toBeUndefined()
    expect(view.cachedTextBytes).toBe(0)
  })
})
