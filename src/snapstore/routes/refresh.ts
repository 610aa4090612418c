// POST /v2/snaps/refresh (spec §4): install, download and refresh actions resolved against the
// index, fetch-assertions against the assertion store; one result per action, matched by key.
import type { FastifyInstance } from 'fastify'
import { resolveSnapActions } from '../../catalog/snap-select.js'
import { resolveFetchAssertions } from '../../catalog/snap-assertions.js'
import { assertionUrl, refreshResultWire } from '../to-wire.js'
import { BadRequest, deviceOf, parseRefreshRequest } from '../refresh-request.js'
import { sendError, type SnapStoreDeps } from '../plugin.js'

export async function refreshRoute(app: FastifyInstance, deps: SnapStoreDeps): Promise<void> {
  app.post('/snaps/refresh', { bodyLimit: 16 << 20 }, async (req, reply) => {
    let parsed
    try { parsed = parseRefreshRequest(req.body) } catch (err) {
      if (err instanceof BadRequest) return sendError(reply, 400, 'invalid-request', err.message)
      throw err
    }
    const device = deviceOf(req)
    // snapd always sends Snap-Device-Architecture; a bare client that does not gets amd64 builds.
    const env = { architecture: device.architecture ?? 'amd64', series: device.series }
    const outcomes = resolveSnapActions(deps.view.index, parsed.contexts, parsed.actions, env)
    const results: Record<string, unknown>[] = await Promise.all(outcomes.map(async (o) => {
      const texts = o.kind === 'found' ? await deps.view.revisionTexts(o.pkg.id, o.revision.revision) : undefined
      return refreshResultWire(deps.urls, o, texts?.snapYaml)
    }))
    for (const f of parsed.fetches) {
      const r = await resolveFetchAssertions(deps.assertions, f.refs, parsed.maxFormats)
      results.push({
        result: 'fetch-assertions', key: f.key,
        'assertion-stream-urls': r.found.map((a) => assertionUrl(deps.urls, a.type, a.key)),
        ...(r.errors.length > 0 ? {
          'error-list': r.errors.map((e) => ({
            code: e.code, message: e.message, type: e.type,
            ...(e.sequenceKey ? { 'sequence-key': e.sequenceKey } : { 'primary-key': e.primaryKey ?? [] }),
          })),
        } : {}),
      })
    }
    return reply.type('application/json').send(JSON.stringify({ results, 'error-list': [] }))
  })
}
