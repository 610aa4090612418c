// The charms of a charm or bundle export, staged as store-admin nests them: one <charm>.tar.gz per
// charm with <charm>_<rev>.charm, <charm>_publisher_account.assert, metadata.json (the store's info
// answer, with the refresh entity of the exported revision and the channel it resolved from) and
// resources/<charm>.<resource>_<rev> (oci-image resources: the store's JSON, ImageName rewritten only
// where the input YAML overrides it).
import { readFile, writeFile } from 'node:fs/promises'
import { encodeAssertions } from '../assertions/parse.js'
import { parseImageReference } from '../import/oci-resource.js'
import { fetchAssertion } from './assertions.js'
import type { Base, CharmhubClient, ResolvedCharm } from './charmhub-client.js'
import { fetchAll, type ExportedPackage, type ExportOptions, type Fetch } from './common.js'
import { about, ExportError } from './errors.js'
import { runLimited } from './pool.js'
import type { Staging, TarMember } from './staging.js'

export interface CharmWant {
  readonly app: string
  readonly charm: string
  readonly channel: string
  readonly base: Base
  /** From the input YAML: an oci-image's local image reference, or a pinned resource revision. */
  readonly resources: Readonly<Record<string, string | number>>
}

export interface StagedCharms {
  readonly members: TarMember[]
  readonly packages: ExportedPackage[]
}

const baseText = (b: Base) => `${b.name}@${b.channel}/${b.architecture}`

export async function stageCharms(client: CharmhubClient, wants: readonly CharmWant[], assertionsFrom: string, staging: Staging, opts: ExportOptions): Promise<StagedCharms> {
  const resolved = await runLimited(wants, opts.concurrency, async (w) => {
    const pinned = Object.entries(w.resources).filter((e): e is [string, number] => typeof e[1] === 'number').map(([name, revision]) => ({ name, revision }))
    try {
      return await client.resolve(w.charm, w.channel, w.base, pinned)
    } catch (err) { throw about(`application ${w.app}`, err) }
  })
  for (const r of resolved) if (r.type !== 'charm') throw new ExportError(`${r.name} is a ${r.type}, not a charm (export it with \`airlock export bundle\`)`)

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
      if (!account) opts.progress.say(`No publisher account assertion for ${name} at ${assertionsFrom}; the import takes the publisher from metadata.json`)
      return { info, account }
    } catch (err) { throw about(`charm ${name}`, err) }
  })

  const fetches: Fetch[] = []
  const resourceFiles = new Map<string, { charm: string; type: string; name: string; revision: number; path: string }>()
  for (const [name, revs] of byName) {
    for (const r of revs) {
      opts.progress.say(`Downloading ${name} revision ${r.revision} (${r.effectiveChannel})`)
      // sha256 is what Juju and the importer check a charm by; hashing sha384 too would only cost time.
      fetches.push({ label: `charm ${name} revision ${r.revision}`, url: r.download.url, dest: await staging.path(name, `${name}_${r.revision}.charm`), expected: { size: r.download.size, sha256: r.download.sha256 } })
      for (const res of r.resources) {
        const file = `${name}.${res.name}_${res.revision}`
        if (resourceFiles.has(file)) continue
        const path = await staging.path(name, 'resources', file)
        resourceFiles.set(file, { charm: name, type: res.type, name: res.name, revision: res.revision, path })
        // Both hashes: Juju 4.0 checks sha384, and the importer checks every hash metadata.json carries.
        fetches.push({ label: `charm ${name} resource ${res.name} revision ${res.revision}`, url: res.download.url, dest: path, expected: { size: res.download.size, sha256: res.download.sha256, sha384: res.download.sha384 } })
      }
    }
  }
  await fetchAll(fetches, opts)

  // The input YAML's image overrides go into the resource JSON, as store-admin's "Overriding ... with
  // local registry subpath" does; without one, the store's ImageName and credentials stay.
  for (const w of wants) {
    for (const [res, ref] of Object.entries(w.resources)) {
      if (typeof ref !== 'string') continue
      for (const f of resourceFiles.values()) {
        if (f.charm !== w.charm || f.name !== res || f.type !== 'oci-image') continue
        if (!parseImageReference(ref)) throw new ExportError(`application ${w.app}: resources.${res}: ${JSON.stringify(ref)} is not an image reference`)
        let body: Record<string, unknown>
        try { body = JSON.parse(await readFile(f.path, 'utf8')) as Record<string, unknown> } catch {
          throw new ExportError(`charm ${w.charm} resource ${res} revision ${f.revision}: the store's oci-image resource is not JSON`)
        }
        opts.progress.say(`Overriding ${res} with local registry subpath.`)
        await writeFile(f.path, JSON.stringify({ ...body, ImageName: ref }))
      }
    }
  }

  const members: TarMember[] = []
  const packages: ExportedPackage[] = []
  for (const [i, name] of names.entries()) {
    const revs = byName.get(name)!
    const { info, account } = extras[i]!
    const first = revs[0]!
    const metadata = { ...info, 'effective-channel': first.effectiveChannel, entity: first.entity }
    const inner: TarMember[] = revs.map((r) => ({ name: `${name}_${r.revision}.charm`, path: `${staging.dir}/${name}/${name}_${r.revision}.charm` }))
    if (account) inner.push({ name: `${name}_publisher_account.assert`, data: encodeAssertions([account]) })
    inner.push({ name: 'metadata.json', data: Buffer.from(JSON.stringify(metadata, null, 2) + '\n') })
    for (const [file, f] of resourceFiles) if (f.charm === name) inner.push({ name: `resources/${file}`, path: f.path })
    members.push({ name: `${name}.tar.gz`, path: await staging.writeTarGz(`${name}.tar.gz`, inner) })
    await staging.discard([`${staging.dir}/${name}`])
    for (const r of revs) {
      packages.push({ type: 'charm', name, revision: r.revision, channel: r.effectiveChannel, base: baseText(r.base), resources: r.resources.map((x) => ({ name: x.name, type: x.type, revision: x.revision })) })
    }
  }
  return { members, packages }
}
