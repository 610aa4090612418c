// GET /metrics: the Prometheus exposition, no token (like /_status/check). Registered only when
// metrics are on, so with AIRLOCK_METRICS=off the path answers the server's usual 404.
import type { FastifyInstance } from 'fastify'
import type { ServerMetrics } from './metrics.js'

export async function metricsRoute(app: FastifyInstance, deps: { metrics: ServerMetrics }): Promise<void> {
  app.get('/metrics', async (_req, reply) => {
    const { contentType, text } = await deps.metrics.render()
    return reply.type(contentType).header('cache-control', 'no-store').send(text)
  })
}
