// POST /admin/v1/gc (?dry-run=true): delete blobs nothing references and stale temp files.
import type { FastifyInstance } from 'fastify'
import { actorOf } from '../actor.js'
import type { AdminDeps } from '../deps.js'

export async function gcRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  app.post('/gc', async (req) => {
    const q = req.query as Record<string, unknown>
    const dryRun = q['dry-run'] === 'true' || q['dry-run'] === '1' || q['dry-run'] === ''
    const report = await deps.gc.run({ dryRun })
    // Blobs are gone whatever the audit write does: a failure there is logged, not answered.
    if (!dryRun && report.blobs + report.tempFiles > 0) {
      await deps.operations.audit.writer
        .record(actorOf(req), { action: 'gc', detail: { ...report } })
        .catch((err: unknown) => req.log.error({ err }, 'recording gc in the audit trail failed'))
    }
    return report
  })
}
