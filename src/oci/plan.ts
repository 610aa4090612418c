// Which image in which archive goes to which resource's reference. Pure: archives in, a plan out.
// Digest references match any manifest the archives hold (a platform manifest inside an index
// too); tag-only references match an image the archive names with the original or local reference.
import type { ArchiveManifest, ImageArchive } from './types.js'

export interface WantedImage {
  /** ImageName as exported. */
  readonly original: string
  /** Where to push: registry host, repository path, tag and/or digest. */
  readonly target: string
  readonly registry: string
  readonly repository: string
  readonly digest: string | null
  readonly tag: string | null
  readonly resources: ReadonlyArray<{ charm: string; resource: string; revision: number }>
}

export interface PlannedPush {
  readonly wanted: WantedImage
  readonly archive: ImageArchive
  readonly manifest: ArchiveManifest
}

export interface Plan {
  readonly push: readonly PlannedPush[]
  /** Wanted, but the archive entry that holds it cannot be read. */
  readonly broken: ReadonlyArray<{ wanted: WantedImage; archive: string; error: string }>
  /** Wanted by a resource, in no archive given. */
  readonly missing: readonly WantedImage[]
  /** In an archive, but no resource names it: not pushed. */
  readonly notNamed: ReadonlyArray<{ archive: string; digest: string; names: readonly string[] }>
  /** Archive entries that cannot be read and match no wanted image (the archive is damaged). */
  readonly unreadable: ReadonlyArray<{ archive: string; names: readonly string[]; error: string }>
}

function flatten(m: ArchiveManifest): ArchiveManifest[] {
  return [m, ...m.children.flatMap(flatten)]
}

export function planPush(wanted: readonly WantedImage[], archives: readonly ImageArchive[]): Plan {
  const byDigest = new Map<string, { archive: ImageArchive; manifest: ArchiveManifest }>()
  for (const archive of archives) {
    for (const root of archive.manifests)
      for (const m of flatten(root)) if (!byDigest.has(m.digest)) byDigest.set(m.digest, { archive, manifest: m })
  }
  const matched = new Set<string>()
  const usedBroken = new Set<object>()
  const plan = { push: [] as PlannedPush[], broken: [] as Plan['broken'][number][], missing: [] as WantedImage[] }
  for (const w of wanted) {
    const names = [w.original, w.target]
    let hit = w.digest ? byDigest.get(w.digest) : undefined
    if (!hit && !w.digest) {
      for (const archive of archives) {
        const manifest = archive.manifests.find((m) => m.names.some((n) => names.includes(n)))
        if (manifest) {
          hit = { archive, manifest }
          break
        }
      }
    }
    if (hit) {
      matched.add(hit.manifest.digest)
      plan.push.push({ wanted: w, archive: hit.archive, manifest: hit.manifest })
      continue
    }
    const bad = archives
      .flatMap((a) => a.broken.map((b) => ({ a, b })))
      .find(({ b }) => (w.digest && b.digest === w.digest) || b.names.some((n) => names.includes(n)))
    if (bad) {
      usedBroken.add(bad.b)
      plan.broken.push({ wanted: w, archive: bad.a.path, error: bad.b.error })
    } else {
      plan.missing.push(w)
    }
  }
  return {
    ...plan,
    // A root is used when it, or a manifest inside it, was matched (the same image may be listed twice).
    notNamed: archives.flatMap((a) =>
      a.manifests
        .filter((m) => !flatten(m).some((x) => matched.has(x.digest)))
        .map((m) => ({ archive: a.path, digest: m.digest, names: m.names })),
    ),
    unreadable: archives.flatMap((a) =>
      a.broken.filter((b) => !usedBroken.has(b)).map((b) => ({ archive: a.path, names: b.names, error: b.error })),
    ),
  }
}
