// GET /admin/v1/{charms,bundles,snaps}/NAME: one package's revisions and their channels, now and before.
import type { FastifyInstance } from 'fastify'
import { NotFound } from '../../catalog/errors.js'
import type { AdminDeps } from '../deps.js'

export async function packageDetailRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  for (const [path, type] of [
    ['/charms/:name', 'charm'],
    ['/bundles/:name', 'bundle'],
    ['/snaps/:name', 'snap'],
  ] as const) {
    app.get(path, async (req) => {
      const { name } = req.params as { name: string }
      const p = await deps.operations.details.detail(type, name)
      if (!p) throw new NotFound(`no ${type} named ${JSON.stringify(name)} in the store`)
      return p
    })
  }
}
