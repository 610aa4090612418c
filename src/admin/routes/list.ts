// GET /admin/v1/{charms,bundles,snaps}: what is in the store.
import type { FastifyInstance } from 'fastify'
import type { AdminDeps } from '../deps.js'

export async function listRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  for (const [path, type] of [
    ['/charms', 'charm'],
    ['/bundles', 'bundle'],
    ['/snaps', 'snap'],
  ] as const) {
    app.get(path, async () => ({ packages: await deps.operations.listing.packages(type) }))
  }
}
