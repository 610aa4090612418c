// What the server needs from a .charm zip: its metadata, resources and bases. The zip is the source
// of truth (docs/protocol/export-formats.md §7, docs/protocol/charmhub.md §12). Refuses what Juju refuses.
import { InvalidInput, type Location } from '../catalog/errors.js'
import { isArchitecture, isOsName, seriesToChannel, uniqueBases, type Base } from '../catalog/base.js'
import { CHARM_NAME } from '../catalog/ids.js'
import { parseYamlMapping } from './yaml-text.js'
import { checkCharmMeta } from './charm-meta-rules.js'
import { checkActions, checkConfig } from './charm-config-rules.js'
import type { ZipIndex } from './zip-reader.js'

export interface DeclaredResource {
  readonly name: string
  readonly type: 'file' | 'oci-image'
  readonly filename: string
  readonly description: string
}

export interface CharmContent {
  readonly name: string
  readonly summary: string
  readonly description: string
  readonly subordinate: boolean
  readonly resources: readonly DeclaredResource[]
  /** From manifest.yaml, else metadata.yaml `series:`; may be empty (the caller decides). */
  readonly bases: readonly Base[]
  readonly metadataYaml: string
  readonly manifestYaml: string | null
  readonly configYaml: string | null
  readonly actionsYaml: string | null
  readonly readme: string | null
  readonly version: string
  readonly relations: { provides: Record<string, unknown>; requires: Record<string, unknown> }
}

const text = (b: Buffer | undefined): string | null => (b === undefined ? null : b.toString('utf8'))

function str(v: unknown, loc: Location, field: string): string {
  if (v === undefined || v === null) return ''
  if (typeof v !== 'string') throw new InvalidInput({ ...loc, field }, 'expected a string')
  return v
}

function member(where: Location, name: string): Location {
  return { ...where, member: [...(where.member ?? []), name] }
}

function parseResources(meta: Record<string, unknown>, loc: Location): DeclaredResource[] {
  const raw = meta.resources
  if (raw === undefined || raw === null) return []
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidInput({ ...loc, field: 'resources' }, 'expected a mapping')
  return Object.entries(raw as Record<string, unknown>).map(([name, spec]) => {
    const field = `resources.${name}`
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new InvalidInput({ ...loc, field }, 'expected a mapping')
    const s = spec as Record<string, unknown>
    const type = s.type === undefined ? 'file' : s.type
    if (type !== 'file' && type !== 'oci-image')
      throw new InvalidInput(
        { ...loc, field: `${field}.type` },
        `unknown resource type ${JSON.stringify(type)} (expected file or oci-image)`,
      )
    const filename = str(s.filename, loc, `${field}.filename`)
    // charm v12 ResourceMeta.Validate: a file resource needs a filename.
    if (type === 'file' && filename === '')
      throw new InvalidInput({ ...loc, field: `${field}.filename` }, 'file resource without a filename')
    if (type === 'file' && filename.includes('/'))
      throw new InvalidInput({ ...loc, field: `${field}.filename` }, `${JSON.stringify(filename)}: a resource filename cannot contain "/"`)
    return { name, type, filename, description: str(s.description, loc, `${field}.description`) }
  })
}

function parseManifestBases(manifest: Record<string, unknown>, loc: Location): Base[] {
  const raw = manifest.bases
  if (raw === undefined || raw === null || raw === '') return []
  if (!Array.isArray(raw)) throw new InvalidInput({ ...loc, field: 'bases' }, 'expected a list')
  const out: Base[] = []
  raw.forEach((b, i) => {
    const field = `bases[${i}]`
    if (b === null || typeof b !== 'object' || Array.isArray(b)) throw new InvalidInput({ ...loc, field }, 'expected a mapping')
    const { name, channel, architectures } = b as Record<string, unknown>
    if (typeof name !== 'string' || !isOsName(name))
      throw new InvalidInput({ ...loc, field: `${field}.name` }, `unknown OS ${JSON.stringify(name)}`)
    if (typeof channel !== 'string' || !/^\d+(\.\d+)*(\/[a-z0-9-]+)?$/.test(channel))
      throw new InvalidInput({ ...loc, field: `${field}.channel` }, `invalid base channel ${JSON.stringify(channel)}`)
    if (!Array.isArray(architectures) || architectures.length === 0)
      throw new InvalidInput({ ...loc, field: `${field}.architectures` }, 'expected a non-empty list of architectures')
    for (const a of architectures) {
      if (typeof a !== 'string' || !isArchitecture(a))
        throw new InvalidInput({ ...loc, field: `${field}.architectures` }, `unknown architecture ${JSON.stringify(a)}`)
      out.push({ name, channel: channel.replace(/\/stable$/, ''), architecture: a })
    }
  })
  return uniqueBases(out)
}

/** Legacy charms: `series:` in metadata.yaml, architecture-independent ("all"). */
function seriesBases(meta: Record<string, unknown>): Base[] {
  const series = Array.isArray(meta.series) ? meta.series : []
  return series.flatMap((s) => {
    const channel = typeof s === 'string' ? seriesToChannel(s) : undefined
    return channel ? [{ name: 'ubuntu', channel, architecture: 'all' }] : []
  })
}

export async function readCharmContent(zip: ZipIndex, where: Location): Promise<CharmContent> {
  const metadataYaml = text(await zip.read('metadata.yaml'))
  if (metadataYaml === null) throw new InvalidInput(where, 'not a charm: metadata.yaml is missing')
  const metaLoc = member(where, 'metadata.yaml')
  const meta = parseYamlMapping(metadataYaml, metaLoc)
  const name = meta.name
  if (typeof name !== 'string' || !CHARM_NAME.test(name))
    throw new InvalidInput({ ...metaLoc, field: 'name' }, `invalid charm name ${JSON.stringify(name)}`)
  const summary = str(meta.summary, metaLoc, 'summary')
  const description = str(meta.description, metaLoc, 'description')
  if (meta.subordinate !== undefined && typeof meta.subordinate !== 'boolean')
    throw new InvalidInput({ ...metaLoc, field: 'subordinate' }, 'expected true or false')
  const resources = parseResources(meta, metaLoc)
  checkCharmMeta(meta, name, metaLoc)

  const manifestYaml = text(await zip.read('manifest.yaml'))
  const manifest = manifestYaml === null ? {} : parseYamlMapping(manifestYaml, member(where, 'manifest.yaml'), { failsafe: true })
  let bases = parseManifestBases(manifest, member(where, 'manifest.yaml'))
  if (bases.length === 0) bases = seriesBases(meta)

  const configYaml = text(await zip.read('config.yaml'))
  if (configYaml !== null) {
    checkConfig(configYaml, member(where, 'config.yaml'))
  }
  const actionsYaml = text(await zip.read('actions.yaml'))
  if (actionsYaml !== null) checkActions(actionsYaml, member(where, 'actions.yaml'))
  const version = (text(await zip.read('version')) ?? '').trim()
  const readme = text(await zip.read('README.md'))

  return {
    name,
    summary,
    description,
    subordinate: meta.subordinate === true,
    resources,
    bases,
    metadataYaml,
    manifestYaml,
    configYaml,
    actionsYaml,
    readme,
    version,
    relations: {
      provides: (meta.provides as Record<string, unknown> | undefined) ?? {},
      requires: (meta.requires as Record<string, unknown> | undefined) ?? {},
    },
  }
}
