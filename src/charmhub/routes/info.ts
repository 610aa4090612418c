// GET /v2/charms/info/{name} (docs/protocol/charmhub.md §7): channel map one entry per (channel, base), default release.
import type { FastifyInstance } from 'fastify'
import { defaultRelease, sortedReleases } from '../../catalog/select.js'
import { channelWire, infoRevision, resourceWire, resultWire, unreleasedChannel, EMPTY_CONFIG } from '../to-wire.js'
import { parseFields, project } from '../project.js'
import { errorList } from '../../http/error-list.js'
import type { CharmhubDeps } from '../deps.js'
import { sendJsonAnswer } from '../../http/json-content-type.js'
import type { IndexedPackage } from '../../catalog/index.js'
import { AnswerCache } from '../../http/answer-cache.js'

/** ~7 KB an answer with juju info's fields: room for every charm of a 20,000-charm catalog. */
const MAX_CACHED_BODY_BYTES = 160 << 20

export async function infoRoute(app: FastifyInstance, deps: CharmhubDeps): Promise<void> {
  // An answer is a function of the catalog (its generation), the name, the fields and the public URL
  // base: the JSON is kept by those.
  const bodies = new AnswerCache<Buffer>(deps.view.index, MAX_CACHED_BODY_BYTES, (b) => b.length, deps.view.caches.counter('charmhub_info'))
  // Not an async function: a kept answer is sent before returning, with no promise for Fastify to wait on.
  app.get('/info/:name', (req, reply): Promise<void> | undefined => {
    const { name } = req.params as { name: string }
    const rawFields = (req.query as Record<string, unknown>).fields
    const shape = `${deps.urls.storeUrl('')}\n${Array.isArray(rawFields) ? rawFields.join(',') : String(rawFields ?? '')}`
    const body = bodies.get(name, shape)
    if (body !== undefined) {
      sendJsonAnswer(reply, body)
      return undefined
    }
    const generation = deps.view.index.generation
    const pkg = deps.view.index.charmhubByName(name)
    if (!pkg) {
      reply
        .code(404)
        .type('application/json')
        .send(errorList('not-found', `No charm or bundle with name '${name}'.`))
      return undefined
    }
    return infoBody(deps, pkg, parseFields(rawFields)).then((fresh) => {
      bodies.set(name, shape, fresh, generation)
      sendJsonAnswer(reply, fresh)
    })
  })
}

async function infoBody(deps: CharmhubDeps, pkg: IndexedPackage, fields: string[] | undefined): Promise<Buffer> {
  const def = defaultRelease(pkg)
  const channelMap = sortedReleases(pkg).flatMap((r) => {
    const rev = pkg.revisions.get(r.revision)
    return rev ? [{ channel: channelWire(r), revision: infoRevision(deps.urls, pkg, rev) }] : []
  })
  let defaultWire: Record<string, unknown> | undefined
  if (def) {
    const texts = await deps.view.revisionTexts(pkg.id, def.revision.revision)
    const resources = def.revision.resources.flatMap((a) => {
      const r = pkg.resources.get(a.name)?.revisions.get(a.revision)
      return r ? [resourceWire(deps.urls, pkg, r, deps.registry)] : []
    })
    defaultWire = {
      channel: def.release ? channelWire(def.release) : unreleasedChannel(def.revision),
      resources,
      revision: {
        ...infoRevision(deps.urls, pkg, def.revision),
        'actions-yaml': texts?.actionsYaml ?? '',
        'bundle-yaml': texts?.bundleYaml ?? '',
        'config-yaml': pkg.type === 'bundle' ? '' : (texts?.configYaml ?? EMPTY_CONFIG),
        'metadata-yaml': texts?.metadataYaml ?? '',
        'readme-md': texts?.readmeMd ?? '',
        relations: (texts?.extra.relations as object | undefined) ?? { provides: {}, requires: {} },
        subordinate: def.revision.subordinate,
      },
    }
  }
  const contains =
    pkg.type === 'bundle'
      ? (((await deps.view.revisionTexts(pkg.id, def!.revision.revision))?.extra['contains-charms'] as
          Array<{ name: string; id: string }> | undefined) ?? [])
      : []
  const body = {
    'channel-map': channelMap,
    ...(defaultWire ? { 'default-release': defaultWire } : {}),
    id: pkg.id,
    name: pkg.name,
    result: resultWire(deps.urls, pkg, contains),
    type: pkg.type,
  }
  return Buffer.from(JSON.stringify(project(body, fields, ['type', 'id', 'name'])))
}
