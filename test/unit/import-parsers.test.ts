// Pure parsers of the import path: member paths, assertions, image references, metadata.json.
import { describe, expect, it } from 'vitest'
import { checkMemberPath } from '../../src/import/member-path.js'
import { parseImageReference } from '../../src/import/oci-resource.js'
import { readExportMetadata } from '../../src/import/metadata-json.js'
import { InvalidInput } from '../../src/catalog/errors.js'

const limits = { maxMemberPathBytes: 1024 }

describe('checkMemberPath', () => {
  it.each([
    ['./a/b.charm', 'a/b.charm'],
    ['a//b', 'a/b'],
    ['./', ''],
    ['dir/', 'dir'],
  ])('normalises %j', (raw, path) => expect(checkMemberPath(raw, limits)).toEqual({ path }))
  it.each([
    ['../x', /"\.\."/],
    ['a/../../x', /"\.\."/],
    ['/etc/passwd', /absolute/],
    ['C:/x', /absolute/],
    ['a\\b', /backslash/],
    ['a\0b', /NUL/],
    ['x'.repeat(1025), /longer than 1024/],
  ])('refuses %j', (raw, problem) => {
    const r = checkMemberPath(raw, limits)
    expect('problem' in r && r.problem).toMatch(problem)
  })
})

describe('parseImageReference', () => {
  it.each([
    [
      'registry.jujucharms.com/charm/abc/postgresql-image@sha256:' + 'a'.repeat(64),
      'registry.jujucharms.com',
      'charm/abc/postgresql-image',
    ],
    ['localhost:5000/x/y:1.0', 'localhost:5000', 'x/y'],
    ['ubuntu/postgres:14', '', 'ubuntu/postgres'],
    ['postgres', '', 'postgres'],
  ])('parses %s', (ref, domain, path) => expect(parseImageReference(ref)).toMatchObject({ domain, path }))
  it.each(['', 'UPPER/case', 'a b', 'x@sha256:short', 'x:tag:tag', '-leading'])('refuses %j', (ref) => {
    expect(parseImageReference(ref)).toBeUndefined()
  })
})

describe('readExportMetadata', () => {
  const where = { file: 'e.tar.gz', member: ['pg.tar.gz', 'metadata.json'] }
  it('reads an info-shaped document', () => {
    const m = readExportMetadata(
      {
        id: 'a'.repeat(32),
        name: 'pg',
        type: 'charm',
        'channel-map': [
          {
            channel: { name: 'stable', track: 'latest', risk: 'stable' },
            revision: { revision: 3, download: { 'hash-sha-256': 'b'.repeat(64), size: 10 } },
          },
          { channel: { name: '14/edge', track: '14', risk: 'edge' }, revision: { revision: 4 } },
        ],
        result: {
          summary: 'S',
          publisher: { id: 'p', username: 'u', 'display-name': 'U', validation: 'verified' },
          links: { docs: ['x'] },
        },
      },
      where,
    )
    expect(m.id).toBe('a'.repeat(32))
    expect(m.releases.map((r) => `${r.channel.track}/${r.channel.risk}:${r.revision}`)).toEqual(['latest/stable:3', '14/edge:4'])
    expect(m.downloads).toEqual([{ revision: 3, sha256: 'b'.repeat(64), size: 10, field: 'channel-map[0].revision.download' }])
    expect(m.publisher?.username).toBe('u')
    expect(m.details).toEqual({ links: { docs: ['x'] } })
  })
  it('reads a refresh-shaped document', () => {
    const m = readExportMetadata(
      {
        results: [
          {
            id: 'x',
            name: 'pg',
            'effective-channel': 'latest/candidate',
            entity: { revision: 9, download: { size: 5 }, resources: [{ name: 'img', revision: 2, type: 'oci-image' }] },
          },
        ],
      },
      where,
    )
    expect(m.releases.map((r) => r.channel.risk)).toEqual(['candidate'])
    expect(m.resources).toMatchObject([{ name: 'img', revision: 2 }])
  })
  it('names the field of a bad revision', () => {
    expect(() => readExportMetadata({ 'channel-map': [{ channel: 'stable', revision: { revision: '3' } }] }, where)).toThrow(InvalidInput)
    expect(() => readExportMetadata({ 'channel-map': [{ channel: 'stable', revision: { revision: -1 } }] }, where)).toThrow(
      /channel-map\[0\]\.revision\.revision.*positive integer/,
    )
  })
})
