// The token behind each authenticated admin request: set by the plugin's onRequest check, read by
// the routes that record who made a change.
import type { FastifyRequest } from 'fastify'
import type { Actor } from '../catalog/operations-ports.js'

const actors = new WeakMap<FastifyRequest, Actor>()

export function rememberActor(req: FastifyRequest, actor: Actor): void {
  actors.set(req, actor)
}

/** The token behind an authenticated admin request (set by the onRequest check). */
export function actorOf(req: FastifyRequest): Actor {
  const a = actors.get(req)
  if (!a) throw new Error('admin request without an authenticated token')
  return a
}
