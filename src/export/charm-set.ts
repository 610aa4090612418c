// The charms of a charm or bundle export, staged as store-admin nests them: one <charm>.tar.gz per
// charm with <charm>_<rev>.charm, <charm>_publisher_account.assert, metadata.json (the store's info
// answer, with the refresh entity of the exported revision and the channel it resolved from) and
// resources/<charm>.<resource>_<rev> (oci-image resources: the store's JSON, ImageName rewritten only
// where the input YAML overrides it).
import { readFile } from 'node:fs/promises'
import { encodeAssertions } from '../assertions/parse.js'
import { parseImageReference } from '../import/oci-resource.js'
import { fetchAssertion } from './assertions.js'
import type { Base, CharmhubClient, ResolvedCharm } from './charmhub-client.js'
import { fetchAll, type BlobFetch, type ExportedPackage, type ExportOptions, type Fetch } from './common.js'
import { about, ExportError } from './errors.js'
import { runLimited } from './pool.js'
import type { Member } from './export-file.js'
import type { Staging } from './staging.js'

export interface CharmWant {
  readonly app: string
  readonly charm: string
  readonly channel: string
  readonly base: Base
  /** From the input YAML: an oci-image's local image reference, or a pinned resource revision. */
  readonly resources: Readonly<Record<string, string | number>>
}

/** The charms' nested tarballs, with the blobs still to download into them. */
export interface StagedCharms {
  readonly members: Member[]
  readonly blobs: BlobFetch[]
  readonly packages: ExportedPackage[]
}

const baseText = (b: Base) => `${b.name}@${b.channel}/${b.architecture}`

export async function stageCharms(
  client: CharmhubClient,
  wants: readonly CharmWant[],
  assertionsFrom: string,
  staging: Staging,
  opts: ExportOptions,
): Promise<StagedCharms> {
  const resolved = await runLimited(wants, opts.concurrency, async (w) => {
    const pinned = Object.entries(w.resources)
      .filter((e): e is [string, number] => typeof e[1] === 'number')
      .map(([name, revision]) => ({ name, revision }))
    try {
      return await client.resolve(w.charm, w.channel, w.base, pinned)
    } catch (err) {
      throw about(`application ${w.app}`, err)
    }
  })
  for (const r of resolved)
    if (r.type !== 'charm') throw new ExportError(`${r.name} is a ${r.type}, not a charm (export it with \`airlock export bundle\`)`)

  const byName = new Map<string, ResolvedCharm[]>()
  for (const r of resolved) {
    const list = byName.get(r.name) ?? []
    if (!list.some((x) => x.revision === r.revision)) list.push(r)
    byName.set(r.name, list)
  }
  const names = [...byName.keys()]
  const extras = await runLimited(names, opts.concurrency, async (name) => {
    try {
      const info = await client.info(name)
      const publisherId = byName.get(name)![0]!.publisherId
      const account = publisherId ? await fetchAssertion(assertionsFrom, 'account', [publisherId], opts.http) : undefined
      if (!account)
        opts.progress.say(
          `No publisher account assertion for ${name} at ${assertionsFrom}; the import takes the publisher from metadata.json`,
        )
      return { info, account }
    } catch (err) {
      throw about(`charm ${name}`, err)
    }
  })

  // Blobs go straight into the export tarball (common.ts writeExportFile). oci-image resources are
  // small JSON the export may rewrite, so they are downloaded first and packed as bytes.
  const blobs: BlobFetch[] = []
  const ociFetches: Fetch[] = []
  const resourceFiles = new Map<
    string,
    { charm: string; type: string; name: string; revision: number; blob?: number; size: number; path?: string }
  >()
  const charmBlobs = new Map<string, number>()
  for (const [name, revs] of byName) {
    for (const r of revs) {
      opts.progress.say(`Downloading ${name} revision ${r.revision} (${r.effectiveChannel})`)
      const blob = blobs.length
      charmBlobs.set(`${name}_${r.revision}`, blob)
      // sha256 is what Juju and the importer check a charm by; hashing sha384 too would only cost time.
      blobs.push({
        blob,
        label: `charm ${name} revision ${r.revision}`,
        url: r.download.url,
        expected: { size: r.download.size, sha256: r.download.sha256 },
      })
      for (const res of r.resources) {
        const file = `${name}.${res.name}_${res.revision}`
        if (resourceFiles.has(file)) continue
        const label = `charm ${name} resource ${res.name} revision ${res.revision}`
        // One digest proves the bytes are the store's: sha256 where given (node:crypto hashes it fastest),
        // else sha384. A second would cost as much CPU again for nothing; the importer re-checks every
        // hash metadata.json carries anyway (docs/decisions/0015-airlock-export.md).
        const expected = {
          size: res.download.size,
          ...(res.download.sha256 !== undefined ? { sha256: res.download.sha256 } : { sha384: res.download.sha384 }),
        }
        if (res.type === 'oci-image') {
          if (res.download.size > opts.http.maxJsonBytes)
            throw new ExportError(`${label}: an oci-image resource of ${res.download.size} bytes is not the store's small JSON`)
          const path = await staging.path(name, 'resources', file)
          resourceFiles.set(file, { charm: name, type: res.type, name: res.name, revision: res.revision, size: res.download.size, path })
          ociFetches.push({ label, url: res.download.url, dest: path, expected })
        } else {
          const blob = blobs.length
          resourceFiles.set(file, { charm: name, type: res.type, name: res.name, revision: res.revision, size: res.download.size, blob })
          blobs.push({ blob, label, url: res.download.url, expected })
        }
      }
    }
  }
  await fetchAll(ociFetches, opts)

  // The input YAML's image overrides go into the resource JSON, as store-admin's "Overriding ... with
  // local registry subpath" does; without one, the store's ImageName and credentials stay.
  const ociBytes = new Map<string, Buffer>()
  for (const [file, f] of resourceFiles) if (f.path) ociBytes.set(file, await readFile(f.path))
  for (const w of wants) {
    for (const [res, ref] of Object.entries(w.resources)) {
      if (typeof ref !== 'string') continue
      for (const [file, f] of resourceFiles) {
        if (f.charm !== w.charm || f.name !== res || f.type !== 'oci-image') continue
        if (!parseImageReference(ref))
          throw new ExportError(`application ${w.app}: resources.${res}: ${JSON.stringify(ref)} is not an image reference`)
        let body: Record<string, unknown>
        try {
          body = JSON.parse(ociBytes.get(file)!.toString('utf8')) as Record<string, unknown>
        } catch {
          throw new ExportError(`charm ${w.charm} resource ${res} revision ${f.revision}: the store's oci-image resource is not JSON`)
        }
        opts.progress.say(`Overriding ${res} with local registry subpath.`)
        ociBytes.set(file, Buffer.from(JSON.stringify({ ...body, ImageName: ref })))
      }
    }
  }
  await staging.discard([...resourceFiles.values()].flatMap((f) => (f.path ? [f.path] : [])))

  const members: Member[] = []
  const packages: ExportedPackage[] = []
  for (const [i, name] of names.entries()) {
    const revs = byName.get(name)!
    const { info, account } = extras[i]!
    const first = revs[0]!
    const metadata = { ...info, 'effective-channel': first.effectiveChannel, entity: first.entity }
    const inner: Member[] = revs.map((r) => ({
      name: `${name}_${r.revision}.charm`,
      blob: charmBlobs.get(`${name}_${r.revision}`)!,
      size: r.download.size,
    }))
    if (account) inner.push({ name: `${name}_publisher_account.assert`, bytes: encodeAssertions([account]) })
    inner.push({ name: 'metadata.json', bytes: Buffer.from(JSON.stringify(metadata, null, 2) + '\n') })
    for (const [file, f] of resourceFiles) {
      if (f.charm !== name) continue
      inner.push(
        f.blob !== undefined
          ? { name: `resources/${file}`, blob: f.blob, size: f.size }
          : { name: `resources/${file}`, bytes: ociBytes.get(file)! },
      )
    }
    members.push({ name: `${name}.tar.gz`, members: inner })
    for (const r of revs) {
      packages.push({
        type: 'charm',
        name,
        revision: r.revision,
        channel: r.effectiveChannel,
        base: baseText(r.base),
        resources: r.resources.map((x) => ({ name: x.name, type: x.type, revision: x.revision })),
      })
    }
  }
  return { members, blobs, packages }
}
