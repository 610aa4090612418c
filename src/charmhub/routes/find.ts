// GET /v2/charms/find (docs/protocol/charmhub.md §7.3): substring search over name, summary and description.
import type { FastifyInstance } from 'fastify'
import { parseChannel } from '../../catalog/channel.js'
import { defaultRelease } from '../../catalog/select.js'
import { channelWire, infoRevision, resultWire, unreleasedChannel } from '../to-wire.js'
import { parseFields, project } from '../project.js'
import type { CharmhubDeps } from '../deps.js'

export async function findRoute(app: FastifyInstance, deps: CharmhubDeps): Promise<void> {
  app.get('/find', async (req, reply) => {
    const q = req.query as Record<string, string | undefined>
    const terms = (q.q ?? '').toLowerCase().split(/\s+/).filter(Boolean)
    // "cs:ubuntu" is a charm store URL, which Charmhub does not know (juju tests/suites/charmhub/find.sh).
    const impossible = terms.some((t) => t.includes(':'))
    const type = q.type === 'charm' || q.type === 'bundle' ? q.type : undefined
    const channel = q.channel ? parseChannel(q.channel) : undefined
    const publisher = q.publisher?.toLowerCase()
    const fields = parseFields(q.fields)
    const results: Record<string, unknown>[] = []
    if (!impossible) {
      const pkgs = [...deps.view.index.all()].filter(
        (p) =>
          p.type !== 'snap' &&
          (!type || p.type === type) &&
          terms.every((t) => p.searchText.includes(t)) &&
          (!publisher || [p.publisher?.username, p.publisher?.['display-name']].some((x) => x?.toLowerCase() === publisher)) &&
          (!channel || p.releases.some((r) => r.channel.track === channel.track && r.channel.risk === channel.risk)),
      )
      // Exact name first, then by name.
      pkgs.sort((a, b) =>
        terms.length === 1 && a.name === terms[0] ? -1 : b.name === terms[0] && terms.length === 1 ? 1 : a.name.localeCompare(b.name),
      )
      for (const pkg of pkgs.slice(0, 100)) {
        const def = defaultRelease(pkg)
        if (!def) continue
        const body = {
          'default-release': {
            channel: def.release ? channelWire(def.release) : unreleasedChannel(def.revision),
            revision: infoRevision(deps.urls, pkg, def.revision),
          },
          id: pkg.id,
          name: pkg.name,
          result: resultWire(deps.urls, pkg),
          type: pkg.type,
        }
        results.push(project(body, fields, ['type', 'id', 'name']))
      }
    }
    return reply.type('application/json').send(JSON.stringify({ results }))
  })
}
