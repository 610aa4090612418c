// GET /v2/snaps/find (docs/protocol/snap-store.md §5.2): free text (q), name prefix, common-id and category, the revision
// from `channel` for the device's architecture; exactly `application/json` (gotcha 1).
import type { FastifyInstance } from 'fastify'
import { shortChannel } from '../../catalog/channel.js'
import { snapFindRevision } from '../../catalog/snap-select.js'
import { packageWire, parseFields, project, revisionWire } from '../to-wire.js'
import { deviceOf } from '../refresh-request.js'
import type { SnapStoreDeps } from '../deps.js'

const MAX_RESULTS = 500

export async function findRoute(app: FastifyInstance, deps: SnapStoreDeps): Promise<void> {
  app.get('/snaps/find', async (req, reply) => {
    const q = req.query as Record<string, string | undefined>
    const terms = (q.q ?? '').toLowerCase().split(/\s+/).filter(Boolean)
    const prefix = q.name?.replace(/\*$/, '').toLowerCase()
    const confinements = q.confinement ? new Set(q.confinement.split(',').map((c) => c.trim())) : undefined
    const architecture = deviceOf(req, q).architecture ?? 'amd64'
    const fields = parseFields(q.fields)
    const results: Record<string, unknown>[] = []
    // Airlock serves no private snaps.
    const pkgs =
      q.private === 'true'
        ? []
        : [...deps.view.index.all()].filter(
            (p) => p.type === 'snap' && terms.every((t) => p.searchText.includes(t)) && (!prefix || p.name.startsWith(prefix)),
          )
    const exact = prefix ?? (terms.length === 1 ? terms[0] : undefined)
    pkgs.sort((a, b) => (a.name === exact ? -1 : b.name === exact ? 1 : a.name.localeCompare(b.name)))
    for (const pkg of pkgs) {
      const snap = packageWire(pkg)
      if (q['common-id'] && !snap['common-ids']?.includes(q['common-id'])) continue
      if (q.category && !snap.categories?.some((c) => c.name === q.category || (q.category === 'featured' && c.featured))) continue
      const found = snapFindRevision(pkg, architecture, q.channel)
      if (!found) continue
      const revision = revisionWire(deps.urls, pkg, found.revision)
      if (confinements && !confinements.has(revision.confinement)) continue
      results.push({
        name: pkg.name,
        'snap-id': pkg.id,
        snap: project(snap, fields),
        revision: { ...project({ ...revision, 'common-ids': snap['common-ids'] ?? [] }, fields), channel: shortChannel(found.channel) },
      })
      if (results.length >= MAX_RESULTS) break
    }
    return reply.type('application/json').send(JSON.stringify({ results }))
  })
}
