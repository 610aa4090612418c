// POST /admin/v1/gc (?dry-run=true): delete blobs nothing references and stale temp files.
import type { FastifyInstance } from 'fastify'
import type { AdminDeps } from '../plugin.js'

export async function gcRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  app.post('/gc', async (req) => {
    const q = req.query as Record<string, unknown>
    const dryRun = q['dry-run'] === 'true' || q['dry-run'] === '1' || q['dry-run'] === ''
    return deps.gc.run({ dryRun })
  })
}
