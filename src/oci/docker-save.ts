// `docker save` archives (and skopeo's docker-archive:): manifest.json lists each image's config and
// layer tars, but no registry manifest. We build the Docker v2 schema 2 manifest a registry would
// hold for exactly these bytes (layers as they are: docker save writes them uncompressed) and
// compute its digest, serialised as skopeo and distribution's Go structs do (compact, fields in
// schemaVersion/mediaType/config/layers order). It matches a resource only if the image was built
// this way; an image pulled from a registry and saved gets a different digest (its layers were
// compressed there), which is why the docs recommend `skopeo copy ... oci-archive:`.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { posix } from 'node:path'
import { ArchiveError, readMember, type TarIndex, type TarMember } from './tar-index.js'
import { MediaType, type ArchiveManifest, type BlobLocation, type BrokenImage, type Descriptor, type ImageArchive } from './types.js'

interface SaveEntry {
  Config?: unknown
  RepoTags?: unknown
  Layers?: unknown
}

function layerMediaType(head: Buffer): string {
  if (head[0] === 0x1f && head[1] === 0x8b) return MediaType.dockerLayerGzip
  if (head.readUInt32LE(0) === 0xfd2fb528) return MediaType.dockerLayerZstd
  return MediaType.dockerLayer
}

async function hashMember(path: string, m: TarMember): Promise<{ digest: string; head: Buffer }> {
  const hash = createHash('sha256')
  let head = Buffer.alloc(0)
  if (m.size > 0) {
    for await (const chunk of createReadStream(path, { start: m.offset, end: m.offset + m.size - 1, highWaterMark: 1 << 20 })) {
      if (head.length < 4) head = Buffer.concat([head, chunk as Buffer]).subarray(0, 4)
      hash.update(chunk as Buffer)
    }
  }
  return { digest: `sha256:${hash.digest('hex')}`, head: Buffer.concat([head, Buffer.alloc(4)]) }
}

export async function readDockerSave(path: string, index: TarIndex): Promise<ImageArchive> {
  const damaged = index.problem ? ` (the archive is damaged: ${index.problem})` : ''
  // Follow symlinks and hard links inside the archive (skopeo writes <id>/layer.tar -> ../<diff-id>.tar).
  const resolve = (name: string): TarMember => {
    let m = index.members.get(name)
    for (let hops = 0; m && (m.type === 'symlink' || m.type === 'link') && hops < 8; hops++) {
      const target = m.type === 'link' ? m.linkname : posix.join(posix.dirname(m.name), m.linkname)
      m = index.members.get(posix.normalize(target).replace(/^(\.\/)+/, ''))
    }
    if (!m || m.type !== 'file') throw new ArchiveError(`member ${name} is not in the archive${damaged}`)
    return m
  }
  const listMember = index.members.get('manifest.json')!
  let entries: SaveEntry[]
  try {
    entries = JSON.parse((await readMember(path, listMember, 16 << 20)).toString('utf8')) as SaveEntry[]
  } catch (err) {
    throw new ArchiveError(`manifest.json: ${err instanceof ArchiveError ? err.message : 'not valid JSON'}`)
  }
  if (!Array.isArray(entries)) throw new ArchiveError('manifest.json is not a list')

  const locations = new Map<string, BlobLocation>()
  const layerCache = new Map<string, Descriptor>()
  const manifests: ArchiveManifest[] = []
  const broken: BrokenImage[] = []
  for (const [i, e] of entries.entries()) {
    const names = Array.isArray(e?.RepoTags) ? e.RepoTags.filter((t): t is string => typeof t === 'string') : []
    try {
      if (typeof e?.Config !== 'string' || !Array.isArray(e.Layers)) throw new ArchiveError(`manifest.json[${i}]: no Config or Layers`)
      const cm = resolve(e.Config)
      const configBytes = await readMember(path, cm, 16 << 20)
      const config: Descriptor = {
        mediaType: MediaType.dockerConfig,
        size: configBytes.length,
        digest: `sha256:${createHash('sha256').update(configBytes).digest('hex')}`,
      }
      locations.set(config.digest, { member: cm.name, offset: cm.offset, size: cm.size })
      const layers: Descriptor[] = []
      for (const l of e.Layers) {
        if (typeof l !== 'string') throw new ArchiveError(`manifest.json[${i}]: a layer that is not a member name`)
        const lm = resolve(l)
        let d = layerCache.get(lm.name)
        if (!d) {
          const { digest, head } = await hashMember(path, lm)
          d = { mediaType: layerMediaType(head), size: lm.size, digest }
          layerCache.set(lm.name, d)
          locations.set(digest, { member: lm.name, offset: lm.offset, size: lm.size })
        }
        layers.push(d)
      }
      const bytes = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.dockerManifest,
          config: { mediaType: config.mediaType, size: config.size, digest: config.digest },
          layers: layers.map((x) => ({ mediaType: x.mediaType, size: x.size, digest: x.digest })),
        }),
      )
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
      manifests.push({
        digest,
        mediaType: MediaType.dockerManifest,
        bytes,
        names,
        blobs: [config, ...layers],
        children: [],
        missingChildren: [],
      })
    } catch (err) {
      if (!(err instanceof ArchiveError)) throw err
      broken.push({ digest: '', names, error: err.message })
    }
  }
  return {
    path,
    format: 'docker-archive',
    manifests,
    broken,
    locate: (d) => locations.get(d),
    ...(index.problem ? { problem: index.problem } : {}),
  }
}
