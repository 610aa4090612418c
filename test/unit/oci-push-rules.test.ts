// Pure pieces of push-images, table-driven: auth challenges, the verifying stream, and the planner
// that matches wanted images to what the archives hold.
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { parseChallenge } from '../../src/oci/registry-client.js'
import { BlobMismatch, verifyingStream } from '../../src/oci/verify-stream.js'
import { planPush, type WantedImage } from '../../src/oci/plan.js'
import type { ArchiveManifest, ImageArchive } from '../../src/oci/types.js'

describe('parseChallenge', () => {
  it.each([
    [
      'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"',
      'bearer',
      { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' },
    ],
    ['Basic realm="Registry Realm"', 'basic', { realm: 'Registry Realm' }],
    ['Bearer realm=https://x/t, service=reg', 'bearer', { realm: 'https://x/t', service: 'reg' }],
    ['Bearer realm="a\\"b"', 'bearer', { realm: 'a"b' }],
  ])('%s', (header, scheme, params) => {
    expect(parseChallenge(header)).toEqual({ scheme, params })
  })

  it('no header: undefined', () => {
    expect(parseChallenge(undefined)).toBeUndefined()
  })
})

describe('verifyingStream', () => {
  const data = Buffer.from('x'.repeat(100_000))
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`
  const chunks = (b: Buffer) => Readable.from([b.subarray(0, 40_000), b.subarray(40_000, 80_000), b.subarray(80_000)])
  async function drain(src: Readable, expected: { digest: string; size: number }): Promise<{ out: number; err?: Error }> {
    const v = verifyingStream(expected)
    src.pipe(v)
    let out = 0
    try {
      for await (const c of v) out += (c as Buffer).length
    } catch (err) {
      return { out, err: err as Error }
    }
    return { out }
  }

  it('passes matching bytes through, counting progress', async () => {
    let seen = 0
    const v = verifyingStream({ digest, size: data.length }, (n) => {
      seen += n
    })
    chunks(data).pipe(v)
    let out = 0
    for await (const c of v) out += (c as Buffer).length
    expect([out, seen]).toEqual([data.length, data.length])
  })

  it.each([
    [
      'altered content',
      (() => {
        const b = Buffer.from(data)
        b[50_000] = 0x79
        return b
      })(),
      /does not match its digest: the content is sha256:/,
    ],
    ['short', data.subarray(0, 90_000), /is 90000 bytes, its descriptor says 100000/],
    ['long', Buffer.concat([data, Buffer.from('y')]), /longer than the 100000 bytes/],
  ])('%s: errors, and the last chunk never leaves', async (_name, bytes, message) => {
    const r = await drain(chunks(bytes), { digest, size: data.length })
    expect(r.err).toBeInstanceOf(BlobMismatch)
    expect(r.err!.message).toMatch(message)
    expect(r.out).toBeLessThan(Math.min(bytes.length, data.length))
  })
})

describe('planPush', () => {
  const d = (c: string) => `sha256:${c.repeat(64)}`
  const manifest = (digest: string, extra: Partial<ArchiveManifest> = {}): ArchiveManifest => ({
    digest,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    bytes: Buffer.from('{}'),
    names: [],
    blobs: [],
    children: [],
    missingChildren: [],
    ...extra,
  })
  const archive = (path: string, manifests: ArchiveManifest[], broken: ImageArchive['broken'] = []): ImageArchive => ({
    path,
    format: 'oci-archive',
    manifests,
    broken,
    locate: () => undefined,
  })
  const want = (repo: string, digest: string | null, tag: string | null = null): WantedImage => ({
    original: `upstream.io/${repo}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`,
    target: `reg:5000/${repo}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`,
    registry: 'reg:5000',
    repository: repo,
    digest,
    tag,
    resources: [{ charm: 'c', resource: repo, revision: 1 }],
  })

  it('matches by digest, reports what no resource names and what no archive holds', () => {
    const a = archive('a.tar', [manifest(d('a')), manifest(d('b'), { names: ['b:1'] })])
    const plan = planPush([want('x', d('a')), want('y', d('c'))], [a])
    expect(plan.push.map((p) => [p.wanted.repository, p.manifest.digest])).toEqual([['x', d('a')]])
    expect(plan.missing.map((w) => w.repository)).toEqual(['y'])
    expect(plan.notNamed).toEqual([{ archive: 'a.tar', digest: d('b'), names: ['b:1'] }])
  })

  it('a digest naming one platform of an index in the archive: that manifest, and the index is not "not named"', () => {
    const child = manifest(d('c'))
    const a = archive('a.tar', [manifest(d('i'), { mediaType: 'application/vnd.oci.image.index.v1+json', children: [child] })])
    const plan = planPush([want('x', d('c'))], [a])
    expect(plan.push[0]!.manifest).toBe(child)
    expect(plan.notNamed).toEqual([])
  })

  it('a tag-only reference matches an archive image named with the original or local reference', () => {
    const w = want('x', null, '1.0')
    const a = archive('a.tar', [manifest(d('a'), { names: ['other:1'] }), manifest(d('b'), { names: [w.original] })])
    expect(planPush([w], [a]).push[0]!.manifest.digest).toBe(d('b'))
  })

  it('a wanted image in an unreadable archive entry is broken (named), not missing', () => {
    const a = archive(
      'a.tar',
      [],
      [
        { digest: d('a'), names: [], error: 'blob x does not match its digest' },
        { digest: '', names: ['z:1'], error: 'member y is not in the archive' },
      ],
    )
    const plan = planPush([want('x', d('a'))], [a])
    expect(plan.broken).toEqual([
      { wanted: expect.objectContaining({ repository: 'x' }), archive: 'a.tar', error: 'blob x does not match its digest' },
    ])
    expect(plan.missing).toEqual([])
    expect(plan.unreadable).toEqual([{ archive: 'a.tar', names: ['z:1'], error: 'member y is not in the archive' }])
  })
})
