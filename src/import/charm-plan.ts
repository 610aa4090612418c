// Turns what was read from a charm export into catalog input: matches metadata.json, resources and
// the publisher assertion to their .charm, checks declared hashes against the bytes, and decides
// the channels (metadata.json's channel map, else the export YAML, else latest/stable).
import { InvalidInput, type Location } from '../catalog/errors.js'
import { parseChannel, formatChannel, type Channel } from '../catalog/channel.js'
import { isStoreId } from '../catalog/ids.js'
import type { Base } from '../catalog/base.js'
import type { AssertionInput, PublisherInfo, ResourceRevisionInput, RevisionInput } from '../catalog/model.js'
import type { BlobStore } from '../storage/blobs/blob-store.js'
import { readAllLimited } from './chunks.js'
import type { CharmFile, ParsedCharmExport, ResourceFile } from './charm-export.js'
import type { ExportMetadata } from './metadata-json.js'
import { parseOciImageResource } from './oci-resource.js'
import { headerString } from '../assertions/parse.js'
import type { TrustedRoots } from '../assertions/roots.js'
import { verifiedCharmAssertions } from './charm-assertions.js'

const LATEST_STABLE = parseChannel('latest/stable')!

function uniqueChannels(cs: readonly Channel[]): Channel[] {
  const seen = new Map<string, Channel>()
  for (const c of cs) seen.set(formatChannel(c), c)
  return [...seen.values()]
}

function metadataFor(parsed: ParsedCharmExport, charm: CharmFile): { value: ExportMetadata; location: Location } | undefined {
  const inScope = parsed.metadata.filter((m) => m.scope === charm.scope)
  const named = inScope.filter((m) => m.value.name === charm.content.name)
  if (named.length > 0) return named[0]
  const charmsInScope = parsed.charms.filter((c) => c.scope === charm.scope)
  const only = inScope.length === 1 && charmsInScope.every((c) => c.content.name === charm.content.name) ? inScope[0] : undefined
  if (only?.value.name !== undefined && only.value.name !== charm.content.name) {
    throw new InvalidInput(
      { ...only.location, field: 'name' },
      `describes charm ${JSON.stringify(only.value.name)}, but the .charm beside it is ${JSON.stringify(charm.content.name)}`,
    )
  }
  return only
}

function checkDownloads(meta: { value: ExportMetadata; location: Location }, charm: CharmFile): void {
  for (const d of meta.value.downloads) {
    if (d.revision !== charm.revision) continue
    const member = charm.location.member?.at(-1) ?? 'the .charm'
    if (d.sha256 !== undefined && d.sha256 !== charm.blob.sha256) {
      throw new InvalidInput(
        { ...meta.location, field: `${d.field}.hash-sha-256` },
        `${d.sha256} does not match ${member} (sha256 ${charm.blob.sha256})`,
      )
    }
    if (d.size !== undefined && d.size !== charm.blob.size) {
      throw new InvalidInput(
        { ...meta.location, field: `${d.field}.size` },
        `${d.size} does not match ${member} (${charm.blob.size} bytes)`,
      )
    }
  }
}

/** Publisher details from the export's account assertion (verified or not: Juju never checks them); only verified assertions are stored. */
function publisherOf(
  parsed: ParsedCharmExport,
  charm: CharmFile,
  roots: TrustedRoots,
): { publisher?: PublisherInfo; assertions: AssertionInput[] } {
  const files = parsed.assertions.filter(
    (a) =>
      a.scope === charm.scope &&
      (a.member.startsWith(`${charm.content.name}_`) || parsed.charms.filter((c) => c.scope === charm.scope).length === 1),
  )
  const raw = files.flatMap((f) => f.assertions)
  const assertions = verifiedCharmAssertions(raw, roots)
  const account = raw.find((a) => a.type.name === 'account')
  if (!account) return { assertions }
  const h = (name: string) => headerString(account, name)
  return {
    assertions,
    publisher: {
      id: h('account-id') ?? '',
      username: h('username') ?? '',
      'display-name': h('display-name') ?? h('username') ?? '',
      validation: h('validation') ?? 'unproven',
    },
  }
}

async function resourcesFor(
  parsed: ParsedCharmExport,
  charm: CharmFile,
  meta: { value: ExportMetadata; location: Location } | undefined,
  blobs: BlobStore,
  maxMeta: number,
): Promise<ResourceRevisionInput[]> {
  const mine = parsed.resources.filter((r) => r.charm === charm.content.name)
  const out: ResourceRevisionInput[] = []
  for (const r of mine) {
    const declared = charm.content.resources.find((d) => d.name === r.name)
    if (!declared)
      throw new InvalidInput(
        r.location,
        `charm ${charm.content.name} declares no resource named ${JSON.stringify(r.name)} in metadata.yaml`,
      )
    let imageName: string | undefined
    if (declared.type === 'oci-image') {
      if (r.blob.size > maxMeta) throw new InvalidInput(r.location, 'oci-image resource is too large to be image JSON')
      const { stream } = await blobs.open(r.blob.sha256)
      const body = await readAllLimited(stream, maxMeta, () => new InvalidInput(r.location, 'oci-image resource is too large'))
      imageName = parseOciImageResource(body, r.location).imageName
    } else {
      checkResourceHashes(meta, r)
    }
    out.push({ name: r.name, type: declared.type, revision: r.revision, blob: r.blob, imageName, location: r.location })
  }
  return out
}

function checkResourceHashes(meta: { value: ExportMetadata; location: Location } | undefined, r: ResourceFile): void {
  if (!meta) return
  for (const m of meta.value.resources) {
    if (m.name !== r.name || m.revision !== r.revision) continue
    const member = r.location.member?.at(-1) ?? r.name
    const bad = (field: string, said: string | number, got: string | number) =>
      new InvalidInput({ ...meta.location, field: `${m.field}.${field}` }, `${said} does not match ${member} (${got})`)
    if (m.sha256 !== undefined && m.sha256 !== r.blob.sha256) throw bad('download.hash-sha-256', m.sha256, r.blob.sha256)
    if (m.sha384 !== undefined && m.sha384 !== r.blob.sha384) throw bad('download.hash-sha-384', m.sha384, r.blob.sha384)
    if (m.size !== undefined && m.size !== r.blob.size) throw bad('download.size', m.size, r.blob.size)
  }
}

/**
 * Resource revisions the export's metadata attaches to this charm revision (metadata.json resource
 * entries, numeric revisions in the export YAML's applications.<app>.resources) that the export does
 * not carry; the catalog then requires the store to hold each, or Juju would be sent a revision
 * nobody can download.
 */
function expectedResourcesFor(
  parsed: ParsedCharmExport,
  charm: CharmFile,
  meta: { value: ExportMetadata; location: Location } | undefined,
): NonNullable<RevisionInput['expectedResources']> {
  const carried = (name: string, revision: number) =>
    parsed.resources.some((r) => r.charm === charm.content.name && r.name === name && r.revision === revision)
  const out: Array<{ name: string; revision: number; location: Location }> = []
  for (const m of meta?.value.resources ?? []) {
    if (m.charmRevision !== charm.revision || carried(m.name, m.revision)) continue
    out.push({ name: m.name, revision: m.revision, location: { ...meta!.location, field: `${m.field}.revision` } })
  }
  for (const app of parsed.applications.filter((a) => a.charm === charm.content.name)) {
    for (const [name, rev] of Object.entries(app.resources)) {
      // Strings there are oci-image registry sub-paths (store-admin's local-registry override), not revisions.
      if (typeof rev !== 'number' || carried(name, rev)) continue
      out.push({ name, revision: rev, location: { ...app.location, field: `applications.${app.app}.resources.${name}` } })
    }
  }
  return out.filter((r, i) => out.findIndex((o) => o.name === r.name && o.revision === r.revision) === i)
}

function platformsFor(parsed: ParsedCharmExport, charm: CharmFile): Base[] {
  if (charm.content.bases.length > 0) return [...charm.content.bases]
  // No manifest bases and no legacy series: the export YAML's series, if it names one.
  const fromYaml = parsed.applications
    .filter((a) => a.charm === charm.content.name && a.baseChannel)
    .map((a) => ({ name: 'ubuntu', channel: a.baseChannel!, architecture: 'amd64' }))
  if (fromYaml.length > 0) return fromYaml
  throw new InvalidInput(
    { ...charm.location, member: [...(charm.location.member ?? []), 'manifest.yaml'], field: 'bases' },
    'no usable base: manifest.yaml has no bases, metadata.yaml no known series, and the export YAML names none',
  )
}

function channelsFor(parsed: ParsedCharmExport, charm: CharmFile, meta: ExportMetadata | undefined): Channel[] {
  const fromMeta = (meta?.releases ?? []).filter((r) => r.revision === charm.revision).map((r) => r.channel)
  if (fromMeta.length > 0) return uniqueChannels(fromMeta)
  const fromYaml = parsed.applications.filter((a) => a.charm === charm.content.name && a.channel).map((a) => a.channel!)
  if (fromYaml.length > 0) return uniqueChannels(fromYaml)
  return [LATEST_STABLE]
}

export async function planCharmExport(
  parsed: ParsedCharmExport,
  blobs: BlobStore,
  maxMeta: number,
  roots: TrustedRoots,
): Promise<RevisionInput[]> {
  for (const r of parsed.resources) {
    if (!parsed.charms.some((c) => c.content.name === r.charm)) {
      throw new InvalidInput(r.location, `resource for charm ${JSON.stringify(r.charm)}, which is not in this export`)
    }
  }
  const out: RevisionInput[] = []
  for (const charm of parsed.charms) {
    const meta = metadataFor(parsed, charm)
    if (meta) checkDownloads(meta, charm)
    const { publisher, assertions } = publisherOf(parsed, charm, roots)
    const c = charm.content
    const input: RevisionInput = {
      type: 'charm',
      name: c.name,
      storeId: isStoreId(meta?.value.id) ? meta.value.id : undefined,
      summary: meta?.value.summary ?? c.summary,
      description: meta?.value.description ?? c.description,
      title: meta?.value.title ?? '',
      publisher: publisher ?? meta?.value.publisher,
      details: meta?.value.details ?? {},
      revision: charm.revision,
      version: c.version || String(charm.revision),
      blob: charm.blob,
      platforms: platformsFor(parsed, charm),
      texts: {
        metadataYaml: c.metadataYaml,
        configYaml: c.configYaml,
        actionsYaml: c.actionsYaml,
        manifestYaml: c.manifestYaml,
        readmeMd: c.readme,
      },
      attributes: {},
      extra: { subordinate: c.subordinate, relations: c.relations },
      declaredResources: c.resources,
      resourceRevisions: await resourcesFor(parsed, charm, meta, blobs, maxMeta),
      expectedResources: expectedResourcesFor(parsed, charm, meta),
      channels: channelsFor(parsed, charm, meta?.value),
      assertions,
      location: charm.location,
    }
    const twin = out.find((o) => o.name === input.name && o.revision === input.revision)
    if (twin) {
      if (twin.blob.sha256 !== input.blob.sha256)
        throw new InvalidInput(
          charm.location,
          `${input.name} revision ${input.revision} appears twice in the export with different content`,
        )
      continue
    }
    out.push(input)
  }
  return out
}
