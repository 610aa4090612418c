// POST /v2/snaps/refresh (docs/protocol/snap-store.md §4): install, download and refresh actions resolved against the
// index, fetch-assertions against the assertion store; one result per action, matched by key.
import type { FastifyInstance, FastifyReply } from 'fastify'
import {
  contextsByKey,
  resolveSnapAction,
  snapActionShape,
  snapShapeKeys,
  type SnapAction,
  type SnapActionShape,
  type ShapeKey,
} from '../../catalog/snap-select.js'
import { resolveFetchAssertions } from '../../catalog/snap-assertions.js'
import { keptResult, pushResult, RefreshAnswers } from '../answer-cache.js'
import { joinBytes } from '../../http/join-bytes.js'
import { sendJsonAnswer } from '../../http/json-content-type.js'
import { jsonTemplate } from '../../http/json-template.js'
import { assertionUrl, publicBase, refreshResultWire } from '../to-wire.js'
import { deviceOf, parseRefreshRequest, type RefreshRequest } from '../refresh-request.js'
import { BadRequest } from '../../http/request-fields.js'
import { sendErrorList } from '../../http/error-list.js'
import type { SnapStoreDeps } from '../deps.js'

type Parts = Array<string | Buffer>

/** Each action with its shape (undefined: it names no snap) and the shape's cache key. */
interface Shaped {
  readonly action: SnapAction
  readonly shape: SnapActionShape | undefined
  readonly key: ShapeKey | undefined
}

export async function refreshRoute(app: FastifyInstance, deps: SnapStoreDeps): Promise<void> {
  const answers = new RefreshAnswers(deps.view.index, deps.view.caches.counter('snap_refresh'))

  /** The answer's parts if every action has a kept result; undefined at the first that has none. */
  const keptParts = (shaped: readonly Shaped[]): Parts | undefined => {
    const parts: Parts = [RESULTS_OPEN]
    for (let i = 0; i < shaped.length; i++) {
      const { action, key } = shaped[i]!
      const r = key && answers.get(key)
      if (!r) return undefined
      pushResult(parts, r, action.instanceKey, i === 0)
    }
    return parts
  }

  /** Resolves every action; only revisions whose result is not kept yet wait for their snap-yaml. */
  const renderedParts = async (shaped: readonly Shaped[]): Promise<Parts> => {
    const generation = deps.view.index.generation
    const parts: Parts = [RESULTS_OPEN]
    const misses: Array<Promise<void>> = []
    shaped.forEach(({ action, shape, key }, i) => {
      const first = i === 0
      const kept = key && answers.get(key)
      if (kept) {
        pushResult(parts, kept, action.instanceKey, first)
        return
      }
      const o = resolveSnapAction(deps.view.index, action, shape)
      if (o.kind !== 'found') {
        parts.push((first ? '' : ',') + JSON.stringify(refreshResultWire(deps.urls, o, undefined)))
        return
      }
      // A slot for the result, filled once its snap-yaml is read.
      const at = parts.push(EMPTY) - 1
      misses.push(
        deps.view.revisionTexts(o.pkg.id, o.revision.revision).then((texts) => {
          // The instance-key comes right after `result`, before any text of the snap's.
          const t = jsonTemplate(
            (slot) => refreshResultWire(deps.urls, { ...o, action: { ...o.action, instanceKey: slot } }, texts?.snapYaml),
            'first',
          )
          const r = keptResult(t, action.instanceKey)
          // A revision without texts may get them later (CatalogView does not cache a miss either).
          if (texts && key) answers.set(key, r, generation)
          const mine: Parts = []
          pushResult(mine, r, action.instanceKey, first)
          parts[at] = mine.length === 1 ? mine[0]! : joinBytes(mine)
        }),
      )
    })
    await Promise.all(misses)
    return parts
  }

  const fetchResults = async (
    parts: Parts,
    fetches: RefreshRequest['fetches'],
    maxFormats: RefreshRequest['maxFormats'],
    count: number,
  ): Promise<void> => {
    for (const f of fetches) {
      const r = await resolveFetchAssertions(deps.assertions, f.refs, maxFormats)
      parts.push(
        (count++ > 0 ? ',' : '') +
          JSON.stringify({
            result: 'fetch-assertions',
            key: f.key,
            'assertion-stream-urls': r.found.map((a) => assertionUrl(deps.urls, a.type, a.key)),
            ...(r.errors.length > 0
              ? {
                  'error-list': r.errors.map((e) => ({
                    code: e.code,
                    message: e.message,
                    type: e.type,
                    ...(e.sequenceKey ? { 'sequence-key': e.sequenceKey } : { 'primary-key': e.primaryKey ?? [] }),
                  })),
                }
              : {}),
          }),
      )
    }
  }

  const send = (reply: FastifyReply, parts: Parts): void => {
    parts.push(RESULTS_CLOSE)
    sendJsonAnswer(reply, joinBytes(parts))
  }

  // Not an async function: a device's refresh answered from kept results is sent before returning,
  // with no promise for Fastify to wait on.
  app.post('/snaps/refresh', { bodyLimit: 16 << 20 }, (req, reply): Promise<void> | undefined => {
    let parsed
    try {
      parsed = parseRefreshRequest(req.body)
    } catch (err) {
      if (!(err instanceof BadRequest)) throw err
      sendErrorList(reply, 400, 'invalid-request', err.message)
      return undefined
    }
    const device = deviceOf(req)
    // snapd always sends Snap-Device-Architecture; a bare client that does not gets amd64 builds.
    const env = { architecture: device.architecture ?? 'amd64', series: device.series }
    const contexts = contextsByKey(parsed.contexts)
    // Download URLs carry the public base (known only once the server listens, with --port 0).
    const keyOf = snapShapeKeys(`\0${publicBase(deps.urls)}`)
    const shaped = parsed.actions.map((action): Shaped => {
      const shape = snapActionShape(action, contexts, env)
      return { action, shape, key: shape && keyOf(shape) }
    })
    const ready = keptParts(shaped)
    if (ready && parsed.fetches.length === 0) {
      send(reply, ready)
      return undefined
    }
    const { actions, fetches, maxFormats } = parsed
    return (ready ? Promise.resolve(ready) : renderedParts(shaped)).then(async (parts) => {
      await fetchResults(parts, fetches, maxFormats, actions.length)
      send(reply, parts)
    })
  })
}

const RESULTS_OPEN = '{"results":['
const RESULTS_CLOSE = '],"error-list":[]}'
const EMPTY = ''
