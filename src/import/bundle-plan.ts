// Turns a `store-admin export bundle` tarball, as read by readCharmExport, into catalog input: the
// component charms exactly as push-charms imports them, plus the bundle itself (its .bundle archive
// when the export has one, else one built from bundle.yaml). All go in together or not at all.
import { InvalidInput, type Location } from '../catalog/errors.js'
import { parseChannel, formatChannel, type Channel } from '../catalog/channel.js'
import { CHARM_NAME, isStoreId } from '../catalog/ids.js'
import type { RevisionInput } from '../catalog/model.js'
import type { BlobStore } from '../storage/blobs/blob-store.js'
import type { ParsedCharmExport } from './charm-export.js'
import { planCharmExport } from './charm-plan.js'
import type { TrustedRoots } from '../assertions/roots.js'
import { readExportApplications } from './export-yaml.js'
import { parseYamlMapping } from './yaml-text.js'
import { defaultReadme, writeBundleArchive } from './bundle-archive.js'

const ALL = { name: 'all', channel: 'all', architecture: 'all' }

/** "cos-lite-20240426T143758.tar.gz" → "cos-lite". */
export function bundleNameFromFile(file: string): string {
  return file.replace(/\.(tar\.gz|tgz|tar)$/, '').replace(/-\d{8}T\d{6}$/, '')
}

export async function planBundleExport(
  parsed: ParsedCharmExport,
  file: string,
  blobs: BlobStore,
  maxMeta: number,
  created: string[],
  roots: TrustedRoots,
): Promise<RevisionInput[]> {
  if (parsed.bundles.length > 1)
    throw new InvalidInput(
      { file },
      `more than one bundle archive in the export (${parsed.bundles.map((b) => b.location.member?.at(-1)).join(', ')})`,
    )
  const artifact = parsed.bundles[0]
  const yamlDoc = parsed.yamlTexts.find((y) => /^bundle\.ya?ml$/.test(y.member)) ?? parsed.yamlTexts[0]
  const bundleYaml = artifact?.bundleYaml ?? yamlDoc?.text
  const where: Location = artifact
    ? { ...artifact.location, member: [...(artifact.location.member ?? []), 'bundle.yaml'] }
    : (yamlDoc?.location ?? { file })
  if (bundleYaml === undefined) throw new InvalidInput({ file }, 'not a bundle export: no bundle.yaml and no .bundle archive')
  const doc = parseYamlMapping(bundleYaml, where)
  const apps = readExportApplications(doc, where)
  if (apps.length === 0) throw new InvalidInput({ ...where, field: 'applications' }, 'bundle.yaml names no applications')
  // The bundle's own channels and series decide where its charms are released when they carry no metadata.json.
  const withApps: ParsedCharmExport = parsed.applications.length > 0 ? parsed : { ...parsed, applications: apps }
  const charms = parsed.charms.length > 0 ? await planCharmExport(withApps, blobs, maxMeta, roots) : []

  const meta = parsed.metadata.find((m) => m.scope === '')?.value
  const name = artifact?.name ?? meta?.name ?? (typeof doc.name === 'string' ? doc.name : undefined) ?? bundleNameFromFile(file)
  if (!CHARM_NAME.test(name))
    throw new InvalidInput(
      { file },
      `cannot tell the bundle's name (got ${JSON.stringify(name)}); name the file <bundle>-<timestamp>.tar.gz`,
    )
  if (charms.some((c) => c.name === name))
    throw new InvalidInput({ file }, `the bundle and one of its charms are both named ${JSON.stringify(name)}`)

  const readme = artifact?.readme ?? defaultReadme(name)
  const blob = artifact?.blob ?? (await writeBundleArchive(blobs, bundleYaml, readme, created))
  let revision = artifact?.revision ?? 0
  const metaReleases = (meta?.releases ?? []).filter((r) => revision === 0 || r.revision === revision)
  if (revision === 0 && metaReleases.length > 0) revision = metaReleases[0]!.revision
  const channels: Channel[] = []
  for (const r of metaReleases.filter((x) => x.revision === revision))
    if (!channels.some((c) => formatChannel(c) === formatChannel(r.channel))) channels.push(r.channel)
  if (channels.length === 0) channels.push(parseChannel('latest/stable')!)

  const bundle: RevisionInput = {
    type: 'bundle',
    name,
    storeId: isStoreId(meta?.id) ? meta.id : undefined,
    summary: meta?.summary ?? (typeof doc.description === 'string' ? doc.description.split('\n')[0]! : `The ${name} bundle`),
    description: meta?.description ?? (typeof doc.description === 'string' ? doc.description : ''),
    title: meta?.title ?? '',
    publisher: meta?.publisher,
    details: meta?.details ?? {},
    revision,
    version: revision ? String(revision) : '',
    blob,
    platforms: [ALL],
    texts: { bundleYaml, readmeMd: readme },
    attributes: {},
    extra: {},
    declaredResources: [],
    resourceRevisions: [],
    channels,
    assertions: [],
    components: apps.map((a) => ({ app: a.app, charm: a.charm })),
    location: artifact?.location ?? where,
  }
  // Charms first, so the bundle's components resolve inside the same transaction.
  return [...charms, bundle]
}
