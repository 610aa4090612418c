// GET /_status/check: 200 when the database answers, 503 with Retry-After when it does not.
import type { FastifyInstance } from 'fastify'

export async function healthRoutes(
  app: FastifyInstance,
  deps: { ping: () => Promise<void>; database: string; version: string },
): Promise<void> {
  app.get('/_status/check', async (req, reply) => {
    try {
      await Promise.race([deps.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('database timeout')), 3000).unref())])
      return reply.type('application/json').send({ status: 'ok', database: deps.database, version: deps.version })
    } catch (err) {
      req.log.warn({ err }, 'health check: database unavailable')
      return reply
        .code(503)
        .header('retry-after', '5')
        .type('application/json')
        .send({ status: 'unavailable', database: deps.database, version: deps.version })
    }
  })
}
