// The rules of release, close and remove (docs/decisions/0016), and what clients are served after
// a close: the next more stable open risk of the same track, per base and architecture.
import { describe, expect, it } from 'vitest'
import { closeSlots, parseChannels, pickPackage, releaseSlots, removalBlocker, slotLabel } from '../../src/catalog/release-rules.js'
import { selectByChannel } from '../../src/catalog/select.js'
import { snapReleaseFor } from '../../src/catalog/snap-select.js'
import { parseChannel, formatChannel } from '../../src/catalog/channel.js'
import type { IndexedPackage, IndexedRelease, IndexedRevision } from '../../src/catalog/index.js'
import type { Base } from '../../src/catalog/base.js'
import type { PackageRef } from '../../src/catalog/operations-ports.js'

const b = (spec: string): Base => {
  if (!spec.includes('@')) return { name: '', channel: '', architecture: spec }
  const [os, rest] = spec.split('@') as [string, string]
  const [channel, architecture] = rest.split('/') as [string, string]
  return { name: os, channel, architecture }
}

function pkg(type: 'charm' | 'snap', revisions: Record<number, string[]>, releases: Array<[string, string, number]>): IndexedPackage {
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
      extra: {},
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

/** The package as the read model has it after `airlock close` of these channels. */
function closed(p: IndexedPackage, channels: string[], filter: { base?: string; arch?: string } = {}): IndexedPackage {
  const ref: PackageRef = { id: p.id, type: p.type, name: p.name }
  const gone = new Set<IndexedRelease>()
  for (const c of parseChannels(channels)) for (const r of closeSlots(ref, p.releases, c, filter)) gone.add(r as IndexedRelease)
  return { ...p, releases: p.releases.filter((r) => !gone.has(r)) }
}

const revisionOf = (p: IndexedPackage, channel: string, base: string): number | string => {
  const s = selectByChannel(p, channel, b(base))
  return s.kind === 'ok' ? s.revision.revision : s.kind
}

const charm = pkg(
  'charm',
  {
    1: ['ubuntu@22.04/amd64', 'ubuntu@22.04/arm64'],
    2: ['ubuntu@22.04/amd64', 'ubuntu@22.04/arm64'],
    3: ['ubuntu@22.04/amd64'],
    4: ['ubuntu@22.04/amd64'],
    5: ['ubuntu@22.04/amd64'],
  },
  [
    ['stable', 'ubuntu@22.04/amd64', 1],
    ['stable', 'ubuntu@22.04/arm64', 1],
    ['candidate', 'ubuntu@22.04/amd64', 2],
    ['candidate', 'ubuntu@22.04/arm64', 2],
    ['beta', 'ubuntu@22.04/amd64', 3],
    ['edge', 'ubuntu@22.04/amd64', 4],
    ['edge/fix', 'ubuntu@22.04/amd64', 5],
    ['14/stable', 'ubuntu@22.04/amd64', 1],
  ],
)

describe('close: clients follow the next more stable open risk', () => {
  it.each([
    [['edge'], 'edge', 3],
    [['edge', 'beta'], 'edge', 2],
    [['edge', 'beta', 'candidate'], 'edge', 1],
    [['edge', 'beta', 'candidate', 'stable'], 'edge', 'revision-not-found'],
    [['beta'], 'beta', 2],
    [['beta'], 'edge', 4], // closing beta leaves edge alone
    [['stable'], 'stable', 'revision-not-found'],
    [['stable'], 'candidate', 2], // never towards less stable risks
    [['edge/fix'], 'edge/fix', 4],
    [['edge'], 'edge/fix', 5], // a branch falls back to its risk, then more stable ones
    [['stable'], '14/stable', 1],
    [['14/stable'], 'stable', 1], // tracks are apart
  ])('after closing %j, %s on amd64 serves %s', (channels, channel, expected) => {
    expect(revisionOf(closed(charm, channels), channel, 'ubuntu@22.04/amd64')).toBe(expected)
  })

  it('is per base and architecture: --arch closes one architecture only', () => {
    const p = closed(charm, ['candidate'], { arch: 'arm64' })
    expect(revisionOf(p, 'candidate', 'ubuntu@22.04/arm64')).toBe(1)
    expect(revisionOf(p, 'candidate', 'ubuntu@22.04/amd64')).toBe(2)
  })

  it('reports the channel actually used', () => {
    const s = selectByChannel(closed(charm, ['edge', 'beta']), 'edge', b('ubuntu@22.04/amd64'))
    expect(s.kind === 'ok' && formatChannel(s.release!.channel)).toBe('latest/candidate')
  })

  it('snaps: per architecture, same fall-back', () => {
    const snap = pkg('snap', { 7: ['amd64'], 8: ['arm64'], 9: ['amd64'] }, [
      ['stable', 'amd64', 7],
      ['stable', 'arm64', 8],
      ['edge', 'amd64', 9],
      ['edge', 'arm64', 8],
    ])
    const p = closed(snap, ['edge'], { arch: 'amd64' })
    expect(snapReleaseFor(p, parseChannel('edge')!, 'amd64')?.revision).toBe(7)
    expect(snapReleaseFor(p, parseChannel('edge')!, 'arm64')?.revision).toBe(8)
    expect(snapReleaseFor(closed(p, ['stable']), parseChannel('edge')!, 'amd64')).toBeUndefined()
  })
})

describe('release slots', () => {
  const ref = (type: 'charm' | 'snap' | 'bundle'): PackageRef => ({ id: 'x', type, name: 'pg' })
  const rev = (platforms: string[]) => ({ revision: 7, platforms: platforms.map(b) })

  it('fills every platform the revision supports, or those --base and --arch name', () => {
    const r = rev(['ubuntu@22.04/amd64', 'ubuntu@22.04/arm64', 'ubuntu@24.04/amd64'])
    expect(releaseSlots(ref('charm'), r, {}).map((x) => slotLabel(parseChannel('stable')!, x))).toEqual([
      'latest/stable ubuntu@22.04/amd64',
      'latest/stable ubuntu@22.04/arm64',
      'latest/stable ubuntu@24.04/amd64',
    ])
    expect(releaseSlots(ref('charm'), r, { base: 'ubuntu@24.04' })).toEqual([b('ubuntu@24.04/amd64')])
    expect(releaseSlots(ref('charm'), r, { base: 'ubuntu@22.04', arch: 'arm64' })).toEqual([b('ubuntu@22.04/arm64')])
  })

  it('an "all" architecture revision released with --arch fills that architecture only', () => {
    expect(releaseSlots(ref('charm'), rev(['ubuntu@22.04/all']), { arch: 's390x' })).toEqual([b('ubuntu@22.04/s390x')])
    expect(releaseSlots(ref('snap'), rev(['all']), {})).toEqual([b('all')])
  })

  it.each([
    [
      'charm',
      ['ubuntu@22.04/amd64'],
      { base: 'ubuntu@24.04' },
      /charm pg revision 7 does not support ubuntu@24.04 \(it supports ubuntu@22.04\/amd64\)/,
    ],
    ['charm', ['ubuntu@22.04/amd64'], { arch: 'arm64' }, /does not support arm64/],
    ['charm', ['ubuntu@22.04/amd64'], { base: 'jammy' }, /"jammy" is not a base: expected NAME@CHANNEL/],
    ['snap', ['amd64'], { base: 'ubuntu@22.04' }, /pg is a snap: snaps are released per architecture only/],
  ] as const)('refuses %s %j with %j', (type, platforms, filter, message) => {
    expect(() => releaseSlots(ref(type), rev([...platforms]), filter)).toThrow(message)
  })
})

describe('names, channels, removals', () => {
  const charmRef: PackageRef = { id: 'c', type: 'charm', name: 'pg' }
  const snapRef: PackageRef = { id: 's', type: 'snap', name: 'pg' }

  it('a name a charm and a snap share needs --type', () => {
    expect(() => pickPackage([charmRef, snapRef], 'pg', undefined)).toThrow(
      '"pg" is both a charm and a snap: say which with --type charm|snap',
    )
    expect(pickPackage([charmRef, snapRef], 'pg', 'snap')).toBe(snapRef)
    expect(() => pickPackage([charmRef], 'pg', 'bundle')).toThrow('no bundle named "pg" in the store')
  })

  it.each(['stable/a/b/c', 'alpha', '', 'latest/', '/stable'])('refuses the channel %j', (c) => {
    expect(() => parseChannels([c])).toThrow(/is not a channel: expected \[track\/\]risk\[\/branch\]/)
  })

  it("refuses to remove a charm's last revision a bundle names, unless forced", () => {
    expect(removalBlocker(charmRef, 0, ['kit'], false)).toMatch(/charm pg is named by bundle kit/)
    expect(removalBlocker(charmRef, 0, ['kit'], true)).toBeUndefined()
    expect(removalBlocker(charmRef, 1, ['kit'], false)).toBeUndefined()
    expect(removalBlocker(snapRef, 0, ['kit'], false)).toBeUndefined()
  })
})
