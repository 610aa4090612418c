// GET /v2/snaps/info/{name} (docs/protocol/snap-store.md §5.1): the channel map for the device's architecture, default
// channel first; 404 for unknown snaps and for snaps with nothing released for that architecture.
import type { FastifyInstance } from 'fastify'
import { snapChannelMap } from '../../catalog/snap-select.js'
import { infoChannelWire, packageWire, parseFields, project, revisionWire } from '../to-wire.js'
import { deviceOf } from '../refresh-request.js'
import { sendErrorList } from '../../http/error-list.js'
import type { SnapStoreDeps } from '../deps.js'

export async function infoRoute(app: FastifyInstance, deps: SnapStoreDeps): Promise<void> {
  app.get('/snaps/info/:name', async (req, reply) => {
    const { name } = req.params as { name: string }
    const query = req.query as Record<string, unknown>
    const pkg = deps.view.index.snapByName(name)
    const notFound = () => sendErrorList(reply, 404, 'resource-not-found', `No snap named '${name}' found`)
    if (!pkg) return notFound()
    const { architecture } = deviceOf(req, query)
    // snapd reads channel-map[0] as "this one" and keys the rest by track/risk: one architecture only.
    const map = snapChannelMap(pkg, architecture)
    if (map.length === 0) return notFound()
    const fields = parseFields(query.fields)
    const withYaml = !fields || fields.has('snap-yaml')
    const channelMap = await Promise.all(
      map.map(async (e) => {
        const yaml = withYaml ? (await deps.view.revisionTexts(pkg.id, e.revision.revision))?.snapYaml : undefined
        return { ...project(revisionWire(deps.urls, pkg, e.revision, yaml), fields), channel: infoChannelWire(e.release, e.architecture) }
      }),
    )
    const body = {
      name: pkg.name,
      'snap-id': pkg.id,
      snap: project(packageWire(pkg), fields, ['name', 'snap-id']),
      'channel-map': channelMap,
    }
    return reply.type('application/json').send(JSON.stringify(body))
  })
}
