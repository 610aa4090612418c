// POST /admin/v1/release, /close and /remove: one use case each, then the read model reloads the
// package before the answer, so the next Charmhub or snapd request sees the change.
import type { FastifyInstance } from 'fastify'
import { closeChannels, releaseRevision, removeRevisions } from '../../catalog/operations.js'
import { CloseBody, ReleaseBody, RemoveBody } from '../schemas.js'
import { actorOf } from '../actor.js'
import type { AdminDeps } from '../deps.js'

export async function channelRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  const ops = deps.operations
  app.post('/release', { schema: { body: ReleaseBody } }, async (req) => {
    const out = await releaseRevision(ops.store, actorOf(req), req.body as ReleaseBody)
    if (out.changes.length > 0) await ops.onCommitted([out.package.id])
    return out
  })
  app.post('/close', { schema: { body: CloseBody } }, async (req) => {
    const out = await closeChannels(ops.store, actorOf(req), req.body as CloseBody)
    if (out.changes.length > 0) await ops.onCommitted([out.package.id])
    return out
  })
  app.post('/remove', { schema: { body: RemoveBody } }, async (req) => {
    const out = await removeRevisions(ops.store, actorOf(req), req.body as RemoveBody)
    if (out.removed.length > 0 && out.package.id) await ops.onCommitted([out.package.id])
    return out
  })
}
