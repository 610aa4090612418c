// The archive readers on real files: skopeo-made oci-archive and docker-archive tars, and tars built
// here for the shapes skopeo does not make (indexes with missing children, links, pax names,
// damaged blobs). No registry: what is read, located and refused.
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ArchiveError, openBlob, openImageArchive } from '../../src/oci/archive.js'
import { imageBlobs } from '../../src/oci/push.js'
import { planPush } from '../../src/oci/plan.js'
import { indexTar } from '../../src/oci/tar-index.js'
import { buildTar, type TarMemberSpec } from '../support/charm-builder.js'
import { archiveOf, buildOciLayout, run, skopeo, type TestImage } from '../support/registry.js'
import { removeDir } from '../support/server-process.js'

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`
const blob = (b: Buffer | string): TarMemberSpec => ({ name: `blobs/sha256/${sha(b).slice(7)}`, data: b })
let dir: string
let img: TestImage

async function tarFile(name: string, members: TarMemberSpec[]): Promise<string> {
  const p = join(dir, name)
  await writeFile(p, await buildTar(members, { gzip: false }))
  return p
}

async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const c of s) parts.push(c as Buffer)
  return Buffer.concat(parts)
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-oci-archives-'))
  img = await buildOciLayout(join(dir, 'layout'), { layerSizes: [1000, 70_000] })
})
afterAll(async () => {
  if (dir) await removeDir(dir)
})

describe('oci-archive (skopeo)', () => {
  it('reads the manifest byte for byte and locates every blob in the file', async () => {
    const a = await openImageArchive(await archiveOf(img.dir, join(dir, 'plain.tar')))
    expect(a.format).toBe('oci-archive')
    expect(a.manifests).toHaveLength(1)
    const m = a.manifests[0]!
    expect(m.digest).toBe(img.digest)
    expect(m.bytes.equals(img.manifest)).toBe(true)
    expect(m.blobs.map((b) => b.digest)).toEqual([img.config.digest, ...img.layers.map((l) => l.digest)])
    for (const l of img.layers) {
      const bytes = await readAll(openBlob(a, a.locate(l.digest)!))
      expect(bytes.equals(await readFile(l.file))).toBe(true)
    }
  })

  it('keeps the name skopeo was given (oci-archive:X.tar:NAME)', async () => {
    const p = join(dir, 'tagged.tar')
    await archiveOf(img.dir, p, 'oci-archive', 'example.com/app:1.0')
    expect((await openImageArchive(p)).manifests[0]!.names).toEqual(['example.com/app:1.0'])
  })
})

describe('several images in one layout (skopeo oci:DIR:NAME, then tar)', () => {
  it('reads every image, and the same image listed twice is one push and not "not named"', async () => {
    const other = await buildOciLayout(join(dir, 'other'), { layerSizes: [100] })
    const multi = join(dir, 'multi')
    await skopeo('copy', '-q', `oci:${img.dir}`, `oci:${multi}:first`)
    await skopeo('copy', '-q', `oci:${other.dir}`, `oci:${multi}:second`)
    await skopeo('copy', '-q', `oci:${img.dir}`, `oci:${multi}:first-again`)
    const tarred = join(dir, 'multi.tar')
    expect((await run('tar', ['-C', multi, '-cf', tarred, '.'])).code).toBe(0)
    const a = await openImageArchive(tarred)
    expect(a.manifests.map((m) => [m.digest, m.names])).toEqual([
      [img.digest, ['first']],
      [other.digest, ['second']],
      [img.digest, ['first-again']],
    ])
    const wanted = { original: 'u.io/x', target: 'r:1/x', registry: 'r:1', repository: 'x', digest: img.digest, tag: null, resources: [] }
    const plan = planPush([wanted], [a])
    expect(plan.push).toHaveLength(1)
    expect(plan.notNamed.map((n) => n.names)).toEqual([['second']])
  })
})

describe('docker-archive (skopeo)', () => {
  it('builds a Docker schema 2 manifest over the saved config and layer bytes', async () => {
    const plain = await buildOciLayout(join(dir, 'plain'), { gzip: false, layerSizes: [500] })
    const a = await openImageArchive(await archiveOf(plain.dir, join(dir, 'd.tar'), 'docker-archive', 'x/y:2'))
    expect(a.format).toBe('docker-archive')
    const m = a.manifests[0]!
    expect(m.names).toEqual(['docker.io/x/y:2'])
    expect(JSON.parse(m.bytes.toString())).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: plain.config.size, digest: plain.config.digest },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar', size: plain.layers[0]!.size, digest: plain.layers[0]!.digest }],
    })
    expect(m.digest).toBe(sha(m.bytes))
  })

  it('follows <id>/layer.tar links and marks gzip layers as such', async () => {
    const config = '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
    const layer = gzipSync(Buffer.from('not really a tar'))
    const p = await tarFile('linked.tar', [
      { name: 'abc.json', data: config },
      { name: 'real/layer.tar', data: layer },
      { name: 'abc/layer.tar', type: 'symlink', linkname: '../real/layer.tar' },
      { name: 'manifest.json', data: JSON.stringify([{ Config: 'abc.json', RepoTags: ['a:1'], Layers: ['abc/layer.tar'] }]) },
    ])
    const m = (await openImageArchive(p)).manifests[0]!
    expect(m.blobs[1]).toEqual({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layer.length, digest: sha(layer) })
  })

  it('reports an image whose layer is absent as broken, naming the member', async () => {
    const p = await tarFile('nolayer.tar', [
      { name: 'c.json', data: '{}' },
      { name: 'manifest.json', data: JSON.stringify([{ Config: 'c.json', RepoTags: ['b:1'], Layers: ['gone.tar'] }]) },
    ])
    const a = await openImageArchive(p)
    expect(a.manifests).toEqual([])
    expect(a.broken).toEqual([{ digest: '', names: ['b:1'], error: 'member gone.tar is not in the archive' }])
  })
})

describe('hand-made OCI layouts', () => {
  const manifest = (config: string, layers: Buffer[]) =>
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(l), size: l.length })),
    })
  const desc = (b: string, mediaType: string) => ({ mediaType, digest: sha(b), size: Buffer.byteLength(b) })
  const top = (...d: object[]) => [
    { name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' },
    { name: 'index.json', data: JSON.stringify({ schemaVersion: 2, manifests: d }) },
  ]

  it('an index with one platform present: the child is usable, the index is not pushable', async () => {
    const cfg = '{"os":"linux"}'
    const layer = gzipSync(Buffer.from('layer'))
    const amd = manifest(cfg, [layer])
    const arm = manifest('{"os":"linux","architecture":"arm64"}', [])
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [desc(amd, 'application/vnd.oci.image.manifest.v1+json'), desc(arm, 'application/vnd.oci.image.manifest.v1+json')],
    })
    const a = await openImageArchive(
      await tarFile('index.tar', [
        blob(cfg),
        blob(layer),
        blob(amd),
        blob(index),
        ...top(desc(index, 'application/vnd.oci.image.index.v1+json')),
      ]),
    )
    const root = a.manifests[0]!
    expect(root.children.map((c) => c.digest)).toEqual([sha(amd)])
    expect(root.missingChildren).toEqual([sha(arm)])
    expect(() => imageBlobs(a, root)).toThrow(
      /only part of this multi-platform image: manifest sha256:\w+ is missing \(copy it with skopeo copy --all\)/,
    )
    expect(imageBlobs(a, root.children[0]!).map((b) => b.digest)).toEqual([sha(cfg), sha(layer)])
  })

  it('a manifest blob that does not match its digest: that image broken, the others fine', async () => {
    const cfg = '{"os":"linux"}'
    const good = manifest(cfg, [])
    const bad = manifest('{"os":"other"}', [])
    const a = await openImageArchive(
      await tarFile('badmanifest.tar', [
        blob(cfg),
        blob(good),
        { name: `blobs/sha256/${sha(bad).slice(7)}`, data: bad.replace('"schemaVersion":2', '"schemaVersion":3') },
        ...top(desc(good, 'application/vnd.oci.image.manifest.v1+json'), desc(bad, 'application/vnd.oci.image.manifest.v1+json')),
      ]),
    )
    expect(a.manifests.map((m) => m.digest)).toEqual([sha(good)])
    expect(a.broken).toHaveLength(1)
    expect(a.broken[0]!.digest).toBe(sha(bad))
    expect(a.broken[0]!.error).toMatch(/^blob blobs\/sha256\/\w+ does not match its digest \(content is sha256:/)
  })

  it('a layer missing from the archive is found before anything is pushed', async () => {
    const cfg = '{"os":"linux"}'
    const m = manifest(cfg, [gzipSync(Buffer.from('absent'))])
    const a = await openImageArchive(
      await tarFile('nolayer-oci.tar', [blob(cfg), blob(m), ...top(desc(m, 'application/vnd.oci.image.manifest.v1+json'))]),
    )
    expect(() => imageBlobs(a, a.manifests[0]!)).toThrow(/^blob sha256:\w+ is not in the archive$/)
  })
})

describe('the tar index', () => {
  it('reads pax long names and locates members by offset', async () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(150)}`
    const p = await tarFile('pax.tar', [
      { name: long, data: 'hello' },
      { name: 'short', data: 'x'.repeat(600) },
    ])
    const idx = await indexTar(p)
    const m = idx.members.get(long)!
    const bytes = await readFile(p)
    expect(bytes.subarray(m.offset, m.offset + m.size).toString()).toBe('hello')
    expect(idx.members.get('short')!.size).toBe(600)
  })

  it('refuses gzip, garbage and empty files; keeps what precedes a truncation', async () => {
    const ok = await buildTar(
      [
        { name: 'a', data: 'aaa' },
        { name: 'b', data: Buffer.alloc(5000, 1) },
      ],
      { gzip: false },
    )
    await writeFile(join(dir, 'x.tar.gz'), gzipSync(ok))
    await expect(indexTar(join(dir, 'x.tar.gz'))).rejects.toThrow(/gzip-compressed/)
    await writeFile(join(dir, 'garbage'), Buffer.alloc(2048, 7))
    await expect(indexTar(join(dir, 'garbage'))).rejects.toThrow(ArchiveError)
    await writeFile(join(dir, 'empty'), Buffer.alloc(0))
    await expect(openImageArchive(join(dir, 'empty'))).rejects.toThrow(/truncated at byte 0/)
    await writeFile(join(dir, 'cut.tar'), ok.subarray(0, 2048))
    const idx = await indexTar(join(dir, 'cut.tar'))
    expect([...idx.members.keys()]).toEqual(['a'])
    expect(idx.problem).toMatch(/^truncated: member b needs 5000 bytes at byte 1536, the file has 2048$/)
  })
})
