// The archive model shared by the readers, the planner and the pusher: manifests as the archive
// holds them, and where each blob's bytes are.

export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayerZstd: 'application/vnd.docker.image.rootfs.diff.tar.zstd',
} as const

export const isIndexType = (t: string): boolean => t === MediaType.ociIndex || t === MediaType.dockerList

export interface Descriptor {
  readonly mediaType: string
  readonly digest: string
  readonly size: number
}

/** Where a blob's bytes are: a byte range of the archive file. */
export interface BlobLocation {
  readonly member: string
  readonly offset: number
  readonly size: number
}

export interface ArchiveManifest {
  /** sha256 of `bytes`, verified (OCI) or computed (docker save). */
  readonly digest: string
  readonly mediaType: string
  readonly bytes: Buffer
  /** Names the archive gives the image: OCI ref.name annotations, docker save RepoTags. */
  readonly names: readonly string[]
  /** Config and layers of an image manifest; empty for an index. */
  readonly blobs: readonly Descriptor[]
  /** The manifests an index refers to that the archive holds. */
  readonly children: readonly ArchiveManifest[]
  /** Digests an index refers to that the archive lacks (it cannot be pushed then). */
  readonly missingChildren: readonly string[]
}

export interface BrokenImage {
  readonly digest: string
  readonly names: readonly string[]
  readonly error: string
}

export interface ImageArchive {
  readonly path: string
  readonly format: 'oci-archive' | 'docker-archive'
  /** Top-level images, in archive order. */
  readonly manifests: readonly ArchiveManifest[]
  /** Top-level images the archive names but that cannot be read; digest is unknown ('') for docker save. */
  readonly broken: readonly BrokenImage[]
  /** Set when the tar is damaged past some point; images needing later blobs then fail. */
  readonly problem?: string
  locate(digest: string): BlobLocation | undefined
}
