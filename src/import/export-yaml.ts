// The YAML at the top of a charm export (a copy of the user's export input, often a bundle.yaml):
// applications.<app>.{charm, channel, series, resources} (docs/protocol/export-formats.md §2.2).
import { InvalidInput, type Location } from '../catalog/errors.js'
import { parseChannel, type Channel } from '../catalog/channel.js'
import { seriesToChannel } from '../catalog/base.js'

export interface ExportApplication {
  readonly app: string
  readonly charm: string
  readonly channel?: Channel
  /** Ubuntu base channel from `series:`/`base:`, when given. */
  readonly baseChannel?: string
  /** Per-resource overrides (an oci-image local registry sub-path, or a file revision). */
  readonly resources: Readonly<Record<string, string | number>>
  /** The YAML file it came from. */
  readonly location: Location
}

export function readExportApplications(doc: Record<string, unknown>, where: Location): ExportApplication[] {
  const apps = doc.applications ?? doc.services
  if (apps === undefined || apps === null) return []
  if (typeof apps !== 'object' || Array.isArray(apps)) throw new InvalidInput({ ...where, field: 'applications' }, 'expected a mapping')
  return Object.entries(apps as Record<string, unknown>).map(([app, spec]) => {
    const field = `applications.${app}`
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new InvalidInput({ ...where, field }, 'expected a mapping')
    const s = spec as Record<string, unknown>
    if (typeof s.charm !== 'string' || s.charm === '')
      throw new InvalidInput({ ...where, field: `${field}.charm` }, 'expected a charm name')
    // "ch:postgresql-k8s" and "cs:~user/name-3" spellings name the same charm.
    const charm = s.charm
      .replace(/^(ch|cs):/, '')
      .replace(/^~[^/]+\//, '')
      .replace(/-\d+$/, '')
    let channel: Channel | undefined
    if (s.channel !== undefined && s.channel !== null) {
      channel = typeof s.channel === 'string' ? parseChannel(s.channel) : undefined
      if (!channel) throw new InvalidInput({ ...where, field: `${field}.channel` }, `not a channel: ${JSON.stringify(s.channel)}`)
    }
    let baseChannel: string | undefined
    if (typeof s.base === 'string') baseChannel = /^ubuntu@(\d+\.\d+)/.exec(s.base)?.[1]
    else if (typeof s.series === 'string') baseChannel = seriesToChannel(s.series)
    const resources: Record<string, string | number> = {}
    if (s.resources !== undefined && s.resources !== null) {
      if (typeof s.resources !== 'object' || Array.isArray(s.resources))
        throw new InvalidInput({ ...where, field: `${field}.resources` }, 'expected a mapping')
      for (const [k, v] of Object.entries(s.resources as Record<string, unknown>)) {
        if (typeof v === 'string' || typeof v === 'number') resources[k] = v
      }
    }
    return { app, charm, ...(channel ? { channel } : {}), ...(baseChannel ? { baseChannel } : {}), resources, location: where }
  })
}
