// Charmhub selection rules over the in-memory index, without HTTP (docs/protocol/charmhub.md §5.6).
import { describe, expect, it } from 'vitest'
import {
  basesForArchitecture,
  defaultRelease,
  fallbackChannels,
  selectByChannel,
  selectByRevision,
  sortBasesNewestLtsFirst,
  suggestedReleases,
} from '../../src/catalog/select.js'
import { formatChannel, parseChannel } from '../../src/catalog/channel.js'
import type { IndexedPackage, IndexedRevision } from '../../src/catalog/index.js'
import type { Base } from '../../src/catalog/base.js'

const b = (spec: string): Base => {
  const [os, rest] = spec.split('@') as [string, string]
  const [channel, architecture] = rest.split('/') as [string, string]
  return { name: os, channel, architecture }
}

function pkg(type: 'charm' | 'bundle', revisions: Record<number, string[]>, releases: Array<[string, string, number]>): IndexedPackage {
  const revs = new Map<number, IndexedRevision>()
  for (const [r, bases] of Object.entries(revisions)) {
    revs.set(Number(r), {
      revision: Number(r),
      version: r,
      createdAt: '2024-01-01T00:00:00.000000+00:00',
      platforms: bases.map(b),
      blob: { sha256: 'a', sha384: 'b', sha3_384: 'c', size: 1 },
      resources: [],
      subordinate: false,
    })
  }
  return {
    id: 'i'.repeat(32),
    type,
    name: 'pg',
    summary: '',
    description: '',
    title: '',
    publisher: null,
    details: {},
    defaultTrack: 'latest',
    revisions: revs,
    resources: new Map(),
    searchText: 'pg',
    releases: releases.map(([ch, base, revision]) => ({
      channel: parseChannel(ch)!,
      base: b(base),
      revision,
      releasedAt: '2024-01-02T00:00:00.000000+00:00',
    })),
  }
}

const charm = pkg(
  'charm',
  { 1: ['ubuntu@20.04/amd64'], 2: ['ubuntu@22.04/amd64', 'ubuntu@22.04/arm64'], 3: ['ubuntu@22.04/amd64'], 4: ['ubuntu@22.04/all'] },
  [
    ['stable', 'ubuntu@20.04/amd64', 1],
    ['stable', 'ubuntu@22.04/amd64', 2],
    ['stable', 'ubuntu@22.04/arm64', 2],
    ['edge', 'ubuntu@22.04/amd64', 3],
    ['14/stable', 'ubuntu@22.04/all', 4],
  ],
)

describe('selectByChannel', () => {
  it.each([
    ['stable', 'ubuntu@22.04/amd64', 2],
    ['latest/stable', 'ubuntu@20.04/amd64', 1],
    ['edge', 'ubuntu@22.04/amd64', 3],
    ['edge', 'ubuntu@22.04/arm64', 2], // edge has no arm64 release: falls back to stable
    ['candidate', 'ubuntu@22.04/amd64', 2],
    ['14/stable', 'ubuntu@22.04/s390x', 4], // "all" matches any arch
    ['14/edge', 'ubuntu@22.04/riscv64', 4],
    ['edge/hotfix', 'ubuntu@22.04/amd64', 3],
  ])('%s on %s → revision %i', (ch, base, rev) => {
    const s = selectByChannel(charm, ch, b(base))
    expect(s.kind).toBe('ok')
    if (s.kind === 'ok') expect(s.revision.revision).toBe(rev)
  })

  it('reports every release for a base that has none', () => {
    const s = selectByChannel(charm, 'stable', b('ubuntu@24.04/amd64'))
    expect(s.kind).toBe('revision-not-found')
    if (s.kind === 'revision-not-found')
      expect(s.releases.map((r) => `${r.channel} ${r.base.channel}/${r.base.architecture}`)).toEqual([
        'stable 22.04/amd64',
        'stable 22.04/arm64',
        'stable 20.04/amd64',
        'edge 22.04/amd64',
        '14/stable 22.04/all',
      ])
  })

  it('answers the NA base with the default bases for that architecture, newest LTS first', () => {
    const s = selectByChannel(charm, 'stable', { name: 'NA', channel: 'NA', architecture: 'amd64' })
    expect(s.kind === 'invalid-charm-base' && s.defaultBases).toEqual([b('ubuntu@22.04/amd64'), b('ubuntu@20.04/amd64')])
    const arm = selectByChannel(charm, 'stable', { name: 'NA', channel: 'NA', architecture: 'arm64' })
    expect(arm.kind === 'invalid-charm-base' && arm.defaultBases).toEqual([b('ubuntu@22.04/arm64')])
    const none = selectByChannel(charm, 'stable', { name: 'NA', channel: 'NA', architecture: 's390x' })
    expect(none.kind).toBe('revision-not-found')
  })

  it('refuses a malformed channel', () => {
    expect(selectByChannel(charm, 'nope/nope/nope/nope', b('ubuntu@22.04/amd64')).kind).toBe('invalid-channel')
  })

  it('resolves bundles whatever the base', () => {
    const bundle = pkg('bundle', { 5: ['all@all/all'] }, [['stable', 'all@all/all', 5]])
    const s = selectByChannel(bundle, 'stable', { name: 'NA', channel: 'NA', architecture: 'amd64' })
    expect(s.kind === 'ok' && s.revision.revision).toBe(5)
  })
})

describe('other rules', () => {
  it('install by revision ignores base and channel', () => {
    expect(selectByRevision(charm, 3).kind).toBe('ok')
    expect(selectByRevision(charm, 9).kind).toBe('revision-not-found')
  })
  it('falls back from a branch, then towards stable', () => {
    expect(fallbackChannels(parseChannel('14/beta/fix')!).map(formatChannel)).toEqual([
      '14/beta/fix',
      '14/beta',
      '14/candidate',
      '14/stable',
    ])
  })
  it('sorts bases newest LTS first', () => {
    expect(
      sortBasesNewestLtsFirst([b('ubuntu@20.04/amd64'), b('ubuntu@23.10/amd64'), b('ubuntu@24.04/amd64'), b('ubuntu@22.04/amd64')]).map(
        (x) => x.channel,
      ),
    ).toEqual(['24.04', '22.04', '20.04', '23.10'])
  })
  it('lists only the bases a revision has for the requested architecture', () => {
    const rev = charm.revisions.get(2)!
    expect(basesForArchitecture(rev, 'arm64')).toEqual([b('ubuntu@22.04/arm64')])
    expect(basesForArchitecture(rev, undefined)).toHaveLength(2)
  })
  it('picks the default release on the default track, most stable, newest base', () => {
    expect(defaultRelease(charm)?.revision.revision).toBe(2)
    expect(suggestedReleases(charm)).toHaveLength(5)
  })
})
