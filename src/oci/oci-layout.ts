// OCI image layout archives (opencontainers/image-spec image-layout.md): index.json names the
// images; every blob is blobs/<alg>/<hex>. JSON blobs are read and their digests checked here;
// layers are checked while they stream to the registry.
import { createHash } from 'node:crypto'
import type { TarIndex } from './tar-index.js'
import { ArchiveError, readMember } from './tar-index.js'
import {
  isIndexType,
  MediaType,
  type ArchiveManifest,
  type BlobLocation,
  type BrokenImage,
  type Descriptor,
  type ImageArchive,
} from './types.js'

const MAX_JSON = 16 << 20
const DIGEST = /^sha256:[a-f0-9]{64}$/

function descriptor(v: unknown, where: string): Descriptor & { annotations?: Record<string, string> } {
  const d = v as { mediaType?: unknown; digest?: unknown; size?: unknown; annotations?: Record<string, string> }
  if (typeof d?.digest !== 'string' || !DIGEST.test(d.digest)) throw new ArchiveError(`${where}: descriptor without a sha256 digest`)
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0)
    throw new ArchiveError(`${where}: descriptor ${d.digest} has no valid size`)
  return {
    mediaType: typeof d.mediaType === 'string' ? d.mediaType : '',
    digest: d.digest,
    size: d.size,
    ...(d.annotations ? { annotations: d.annotations } : {}),
  }
}

function parse(bytes: Buffer, where: string): Record<string, unknown> {
  try {
    const v = JSON.parse(bytes.toString('utf8')) as unknown
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>
  } catch {
    /* fall through */
  }
  throw new ArchiveError(`${where}: not a JSON object`)
}

export async function readOciLayout(path: string, index: TarIndex): Promise<ImageArchive> {
  const member = (digest: string) => index.members.get(`blobs/${digest.replace(':', '/')}`)
  const locate = (digest: string): BlobLocation | undefined => {
    const m = member(digest)
    return m && m.type === 'file' ? { member: m.name, offset: m.offset, size: m.size } : undefined
  }
  const damaged = index.problem ? ` (the archive is damaged: ${index.problem})` : ''

  async function readJsonBlob(d: Descriptor): Promise<Buffer> {
    const m = member(d.digest)
    if (!m || m.type !== 'file') throw new ArchiveError(`manifest ${d.digest} is not in the archive${damaged}`)
    if (m.size !== d.size) throw new ArchiveError(`blob ${m.name} is ${m.size} bytes, its descriptor says ${d.size}`)
    const bytes = await readMember(path, m, MAX_JSON)
    const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
    if (actual !== d.digest) throw new ArchiveError(`blob ${m.name} does not match its digest (content is ${actual})`)
    return bytes
  }

  async function load(d: Descriptor & { annotations?: Record<string, string> }, depth: number): Promise<ArchiveManifest> {
    const bytes = await readJsonBlob(d)
    const json = parse(bytes, `manifest ${d.digest}`)
    const mediaType =
      d.mediaType ||
      (typeof json.mediaType === 'string' ? json.mediaType : '') ||
      (Array.isArray(json.manifests) ? MediaType.ociIndex : MediaType.ociManifest)
    const names = d.annotations?.['org.opencontainers.image.ref.name'] ? [d.annotations['org.opencontainers.image.ref.name']] : []
    if (isIndexType(mediaType)) {
      if (depth > 4) throw new ArchiveError(`manifest ${d.digest}: indexes nested too deep`)
      const children: ArchiveManifest[] = []
      const missingChildren: string[] = []
      for (const [i, c] of ((json.manifests as unknown[]) ?? []).entries()) {
        const child = descriptor(c, `manifest ${d.digest} manifests[${i}]`)
        if (member(child.digest)) children.push(await load(child, depth + 1))
        else missingChildren.push(child.digest)
      }
      return { digest: d.digest, mediaType, bytes, names, blobs: [], children, missingChildren }
    }
    if (!Array.isArray(json.layers)) throw new ArchiveError(`manifest ${d.digest}: no layers (media type ${mediaType})`)
    const blobs = [
      descriptor(json.config, `manifest ${d.digest} config`),
      ...json.layers.map((l, i) => descriptor(l, `manifest ${d.digest} layers[${i}]`)),
    ]
    return { digest: d.digest, mediaType, bytes, names, blobs, children: [], missingChildren: [] }
  }

  const indexMember = index.members.get('index.json')!
  const top = parse(await readMember(path, indexMember, MAX_JSON), 'index.json')
  if (!Array.isArray(top.manifests)) throw new ArchiveError('index.json has no manifests list')
  const manifests: ArchiveManifest[] = []
  const broken: BrokenImage[] = []
  for (const [i, m] of top.manifests.entries()) {
    const d = descriptor(m, `index.json manifests[${i}]`)
    // One bad image does not hide the others; a wanted one is reported with this reason.
    try {
      manifests.push(await load(d, 0))
    } catch (err) {
      if (!(err instanceof ArchiveError)) throw err
      broken.push({
        digest: d.digest,
        names: d.annotations?.['org.opencontainers.image.ref.name'] ? [d.annotations['org.opencontainers.image.ref.name']] : [],
        error: err.message,
      })
    }
  }
  return { path, format: 'oci-archive', manifests, broken, locate, ...(index.problem ? { problem: index.problem } : {}) }
}
