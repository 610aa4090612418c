// Sections, categories and the names catalog (docs/protocol/snap-store.md §5.3). snapd compares the content type of
// sections (`application/hal+json`) and categories (`application/json`) exactly, and decodes names
// as a token stream that must start with `{"_embedded":{"clickindex:package":[`.
import type { FastifyInstance } from 'fastify'
import { parse as parseYaml } from 'yaml'
import type { IndexedPackage } from '../../catalog/index.js'
import { snapFindRevision, snapChannelMap } from '../../catalog/snap-select.js'
import { confinementOf, packageWire } from '../to-wire.js'
import { deviceOf } from '../refresh-request.js'
import type { SnapStoreDeps } from '../deps.js'

function categoryNames(deps: SnapStoreDeps): string[] {
  const names = new Set<string>()
  for (const p of deps.view.index.all()) if (p.type === 'snap') for (const c of packageWire(p).categories ?? []) names.add(c.name)
  return [...names].sort((a, b) => (a === 'featured' ? -1 : b === 'featured' ? 1 : a.localeCompare(b)))
}

/** Apps and their legacy aliases from snap.yaml; a snap.yaml that does not parse lists none. */
export function appsOf(snapYaml: string | null | undefined): { apps: string[]; aliases: Array<{ name: string; target: string }> } {
  let doc: unknown
  try {
    doc = snapYaml ? parseYaml(snapYaml) : undefined
  } catch {
    doc = undefined
  }
  const apps = doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>).apps : undefined
  if (!apps || typeof apps !== 'object' || Array.isArray(apps)) return { apps: [], aliases: [] }
  const aliases: Array<{ name: string; target: string }> = []
  for (const [app, def] of Object.entries(apps as Record<string, unknown>)) {
    const list = def && typeof def === 'object' ? (def as Record<string, unknown>).aliases : undefined
    if (Array.isArray(list)) for (const a of list) if (typeof a === 'string') aliases.push({ name: a, target: app })
  }
  return { apps: Object.keys(apps as object).sort(), aliases }
}

export async function categoriesRoute(app: FastifyInstance, deps: SnapStoreDeps): Promise<void> {
  app.get('/snaps/categories', async (_req, reply) =>
    reply.type('application/json').send(JSON.stringify({ categories: categoryNames(deps).map((name) => ({ name })) })),
  )
}

export async function sectionsRoute(app: FastifyInstance, deps: SnapStoreDeps): Promise<void> {
  app.get('/sections', async (_req, reply) =>
    reply
      .type('application/hal+json')
      .send(JSON.stringify({ _embedded: { 'clickindex:sections': categoryNames(deps).map((name) => ({ name })) } })),
  )
}

export async function namesRoute(app: FastifyInstance, deps: SnapStoreDeps): Promise<void> {
  app.get('/names', async (req, reply) => {
    const q = req.query as Record<string, string | undefined>
    const confinements = new Set((q.confinement ?? 'strict').split(',').map((c) => c.trim()))
    const architecture = deviceOf(req).architecture
    const snaps = [...deps.view.index.all()]
      .filter((p): p is IndexedPackage => p.type === 'snap')
      .sort((a, b) => a.name.localeCompare(b.name))
    const items = []
    for (const pkg of snaps) {
      const rev = architecture ? snapFindRevision(pkg, architecture, undefined)?.revision : snapChannelMap(pkg, undefined)[0]?.revision
      if (!rev || !confinements.has(confinementOf(rev))) continue
      const { apps, aliases } = appsOf((await deps.view.revisionTexts(pkg.id, rev.revision))?.snapYaml)
      items.push({ package_name: pkg.name, version: rev.version, summary: pkg.summary, aliases, apps })
    }
    return reply.type('application/hal+json').send(JSON.stringify({ _embedded: { 'clickindex:package': items } }))
  })
}
