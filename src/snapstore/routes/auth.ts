// Device sessions (docs/protocol/snap-store.md §9): snapd with a serial assertion calls these before every store request
// and fails that request if they fail. The macaroon is opaque to snapd and only echoed back, and
// Airlock serves everyone alike, so any non-empty values do (the fakestore answers the same).
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { plainJsonBodies } from '../../http/json-body.js'

/** Registered as its own plugin: the lenient JSON parser below stays inside it. */
export async function deviceSessionRoutes(app: FastifyInstance): Promise<void> {
  // An empty body with `Content-Type: application/json` is no error here (Fastify refuses it by default).
  plainJsonBodies(app, { emptyAs: {} })
  // snapd POSTs the nonce request with an empty body.
  app.post('/auth/nonces', async (_req, reply) =>
    reply.type('application/json').send(JSON.stringify({ nonce: randomBytes(18).toString('base64url') })),
  )
  app.post('/auth/sessions', { bodyLimit: 1 << 20 }, async (_req, reply) =>
    reply.type('application/json').send(JSON.stringify({ macaroon: randomBytes(24).toString('base64url') })),
  )
}
