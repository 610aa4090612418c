// /admin/v1/tokens: mint (recorded, audited), list, revoke. A token is shown once, when minted.
import type { FastifyInstance } from 'fastify'
import { mintToken, revokeToken } from '../../catalog/admin-tokens.js'
import { TokenBody } from '../schemas.js'
import { signToken } from '../tokens.js'
import { actorOf } from '../actor.js'
import type { AdminDeps } from '../deps.js'

export async function tokenRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  const tokens = deps.operations.tokens
  app.get('/tokens', async () => ({ tokens: await tokens.list() }))
  app.post('/tokens', { schema: { body: TokenBody } }, async (req) => {
    const body = req.body as TokenBody
    return mintToken(tokens, actorOf(req), (o) => signToken(deps.signingKey, o), { name: body.name, ttlSeconds: body.ttl })
  })
  app.delete('/tokens/:id', async (req) => revokeToken(tokens, actorOf(req), (req.params as { id: string }).id))
}
