// GET /admin/v1/audit?since=RFC3339: the audit trail, oldest first.
import type { FastifyInstance } from 'fastify'
import { AuditQuery } from '../schemas.js'
import type { AdminDeps } from '../deps.js'

const DEFAULT_LIMIT = 10_000

export async function auditRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  app.get('/audit', { schema: { querystring: AuditQuery } }, async (req) => {
    const q = req.query as AuditQuery
    const since = q.since ? new Date(q.since) : new Date(Date.now() - 7 * 86_400_000)
    const limit = q.limit ?? DEFAULT_LIMIT
    const entries = await deps.operations.audit.since(since, limit + 1)
    return { since: since.toISOString(), entries: entries.slice(0, limit), truncated: entries.length > limit }
  })
}
