// GET /v2/charms/resources/{charm}/{resource}/revisions (docs/protocol/charmhub.md §8), newest first.
import type { FastifyInstance } from 'fastify'
import { resourceWire } from '../to-wire.js'
import { errorList } from '../../http/error-list.js'
import type { CharmhubDeps } from '../deps.js'

export async function resourceRevisionsRoute(app: FastifyInstance, deps: CharmhubDeps): Promise<void> {
  app.get('/resources/:charm/:resource/revisions', async (req, reply) => {
    const { charm, resource } = req.params as { charm: string; resource: string }
    const pkg = deps.view.index.charmhubByName(charm) ?? deps.view.index.byPackageId(charm)
    const res = pkg?.resources.get(resource)
    if (!pkg || !res)
      return reply
        .code(404)
        .type('application/json')
        .send(errorList('not-found', `No resource '${resource}' for charm '${charm}'.`))
    const revisions = [...res.revisions.values()]
      .sort((a, b) => b.revision - a.revision)
      .map((r) => resourceWire(deps.urls, pkg, r, deps.registry))
    return reply.type('application/json').send(JSON.stringify({ revisions }))
  })
}
