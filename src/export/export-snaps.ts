// `airlock export snaps`: one <name>-<ts>.tar.gz per snap name, holding every requested revision as
// `snap download` names them (<name>_<rev>.snap + <name>_<rev>.assert with the whole assertion chain)
// and a metadata.json with the releases to make on import, in request order (the importer lets the
// last release of an architecture and channel win).
import { encodeAssertions, headerString, type Assertion } from '../assertions/parse.js'
import type { TrustedRoots } from '../assertions/roots.js'
import { snapAssertionChain, verifyChain } from './assertions.js'
import {
  startDownloads,
  stopDownloads,
  writeExportFiles,
  type BlobFetch,
  type ExportFileSpec,
  type ExportOptions,
  type ExportResult,
  type ExportedPackage,
} from './common.js'
import type { Member } from './export-file.js'
import { about, ExportError } from './errors.js'
import { runLimited } from './pool.js'
import { SnapStoreClient, type ResolvedSnap } from './snap-client.js'
import { exportTimestamp, Staging } from './staging.js'

export interface SnapWant {
  readonly name: string
  readonly channel?: string | undefined
  readonly revision?: number | undefined
  readonly architecture: string
  /** --from-yaml: the channel the revision goes to on import. */
  readonly pushChannel?: string | undefined
}

/** snapd's digest form of a SHA3-384: base64url without padding. */
const digestOf = (hex: string): string => Buffer.from(hex, 'hex').toString('base64url')

function crossCheck(r: ResolvedSnap, chain: readonly Assertion[]): void {
  const rev = chain.find((a) => a.type.name === 'snap-revision')
  const decl = chain.find((a) => a.type.name === 'snap-declaration')
  const h = (a: Assertion | undefined, n: string) => (a ? headerString(a, n) : undefined)
  const problems = [
    h(rev, 'snap-sha3-384') !== digestOf(r.download.sha3_384) && 'its snap-sha3-384 is not the digest of the download',
    h(rev, 'snap-size') !== String(r.download.size) &&
      `its snap-size ${h(rev, 'snap-size')} is not the download's ${r.download.size} bytes`,
    h(rev, 'snap-id') !== r.snapId && `its snap-id ${h(rev, 'snap-id')} is not the store's ${r.snapId}`,
    h(rev, 'snap-revision') !== String(r.revision) && `its snap-revision ${h(rev, 'snap-revision')} is not ${r.revision}`,
  ].filter(Boolean)
  if (problems.length) throw new ExportError(`snap-revision assertion does not match the download: ${problems.join('; ')}`)
  if (h(decl, 'snap-name') !== r.name)
    throw new ExportError(`snap-declaration names ${JSON.stringify(h(decl, 'snap-name'))}, not ${r.name}`)
}

export async function exportSnaps(wants: readonly SnapWant[], roots: TrustedRoots, given: ExportOptions): Promise<ExportResult> {
  if (wants.length === 0) throw new ExportError('no snap to export', 2)
  const client = new SnapStoreClient(given.from, given.http)
  const staging = await Staging.create(given.exportDir)
  const opts = startDownloads(given)
  try {
    const resolved = await runLimited(wants, opts.concurrency, (w) =>
      client.resolve(w.name, w, w.architecture).catch((err: unknown) => {
        throw about(`snap ${w.name}`, err)
      }),
    )
    // One blob per (name, revision), however many channels or architectures resolved to it.
    const unique = new Map<string, ResolvedSnap>()
    resolved.forEach((r) => unique.set(`${r.name}_${r.revision}`, r))
    // The assertions need only what the store answered (the digest it gave), so they are fetched and
    // verified first, and each snap is then downloaded straight into its place in its tarball.
    const asserts = new Map<string, Buffer>()
    await runLimited([...unique.entries()], opts.concurrency, async ([stem, r]) => {
      try {
        const chain = await snapAssertionChain(opts.from, digestOf(r.download.sha3_384), roots, opts.http)
        verifyChain(chain, roots)
        crossCheck(r, chain)
        asserts.set(stem, encodeAssertions(chain))
      } catch (err) {
        throw about(`snap ${r.name} revision ${r.revision}`, err)
      }
    })

    const ts = exportTimestamp(opts.now)
    const names = [...new Set(resolved.map((r) => r.name))]
    const staged: Array<{ staged: string; name: string }> = []
    const specs: ExportFileSpec[] = []
    const packages: ExportedPackage[] = []
    let blob = 0
    for (const name of names) {
      const mine = resolved.map((r, i) => ({ r, w: wants[i]! })).filter((x) => x.r.name === name)
      const releases = mine.map(({ r, w }) =>
        w.pushChannel !== undefined
          ? { revision: r.revision, push_channel: w.pushChannel }
          : { revision: r.revision, channel: r.effectiveChannel ?? w.channel ?? 'stable', architecture: r.architecture },
      )
      const revisions = [...new Map(mine.map(({ r }) => [r.revision, r])).values()]
      const metadata = { name, 'snap-id': revisions[0]!.snapId, store: 'ubuntu', releases, revisions: revisions.map((r) => r.snap) }
      const members: Member[] = []
      const blobs: BlobFetch[] = []
      for (const r of revisions) {
        opts.progress.say(
          `Downloading ${r.name} revision ${r.revision} (${r.effectiveChannel ?? `revision ${r.revision}`} ${r.architecture})`,
        )
        const stem = `${name}_${r.revision}`
        members.push({ name: `${stem}.snap`, blob, size: r.download.size }, { name: `${stem}.assert`, bytes: asserts.get(stem)! })
        blobs.push({
          blob: blob++,
          label: `snap ${r.name} revision ${r.revision}`,
          url: r.download.url,
          expected: { size: r.download.size, sha3_384: r.download.sha3_384 },
        })
      }
      members.push({ name: 'metadata.json', bytes: Buffer.from(JSON.stringify(metadata, null, 2) + '\n') })
      const file = `${name}-${ts}.tar.gz`
      const path = await staging.path(file)
      specs.push({ path, members, blobs })
      staged.push({ staged: path, name: file })
      for (const { r, w } of mine)
        packages.push({
          type: 'snap',
          name,
          revision: r.revision,
          channel: w.pushChannel ?? r.effectiveChannel ?? w.channel,
          architecture: r.architecture,
        })
    }
    await writeExportFiles(specs, opts)
    const files = await staging.publish(staged)
    return { files, packages }
  } finally {
    opts.progress.stop()
    await stopDownloads(opts)
    await staging.close()
  }
}
