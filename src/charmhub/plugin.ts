// The Charmhub API Juju talks to (docs/protocol/charmhub.md). Its own error and not-found handlers,
// so every answer goes through the content-type hook: Juju compares Content-Type exactly on 4xx (§4.2).
import type { FastifyError, FastifyInstance } from 'fastify'
import { bareJsonContentType } from '../http/json-content-type.js'
import { plainJsonBodies } from '../http/json-body.js'
import { errorList } from '../http/error-list.js'
import type { CharmhubDeps } from './deps.js'
import { refreshRoute } from './routes/refresh.js'
import { infoRoute } from './routes/info.js'
import { findRoute } from './routes/find.js'
import { resourceRevisionsRoute } from './routes/resources.js'
import { downloadRoutes } from './routes/download.js'
import { Unavailable } from '../catalog/errors.js'

export async function charmhubPlugin(app: FastifyInstance, deps: CharmhubDeps): Promise<void> {
  app.addHook('onSend', bareJsonContentType)
  plainJsonBodies(app)
  app.setErrorHandler((err: FastifyError, req, reply) => {
    // Texts not cached while the database is down: Juju retries a 503 later.
    if (err instanceof Unavailable)
      return reply.code(503).header('retry-after', '5').type('application/json').send(errorList('service-unavailable', err.message))
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500
    if (status === 500) req.log.error({ err }, 'charmhub request failed')
    const message = status === 500 ? 'internal server error' : err.message
    return reply
      .code(status)
      .type('application/json')
      .send(errorList(status === 500 ? 'internal-error' : 'invalid-request', message))
  })
  app.setNotFoundHandler((req, reply) =>
    reply
      .code(404)
      .type('application/json')
      .send(errorList('not-found', `no such endpoint: ${req.method} ${req.url.split('?')[0]}`)),
  )
  await refreshRoute(app, deps)
  await infoRoute(app, deps)
  await findRoute(app, deps)
  await resourceRevisionsRoute(app, deps)
}

/** Downloads live under /api/v1 (docs/operations.md, "Download URLs"), outside the /v2/charms prefix. */
export async function charmhubDownloadsPlugin(app: FastifyInstance, deps: CharmhubDeps): Promise<void> {
  app.addHook('onSend', bareJsonContentType)
  app.setNotFoundHandler((req, reply) =>
    reply
      .code(404)
      .type('application/json')
      .send(errorList('not-found', `no such download: ${req.url.split('?')[0]}`)),
  )
  await downloadRoutes(app, deps)
}
