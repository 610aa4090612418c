// POST /v2/snaps/refresh (docs/protocol/snap-store.md §4): install, download and refresh actions resolved against the
// index, fetch-assertions against the assertion store; one result per action, matched by key.
import type { FastifyInstance, FastifyReply } from 'fastify'
import { contextsByKey, resolveSnapActions, snapEnvShape, snapPackageOf, snapShaper, type SnapAction, type SnapContext, type SnapEnv } from '../../catalog/snap-select.js'
import { resolveFetchAssertions } from '../../catalog/snap-assertions.js'
import { KeptResults, type SplitResult } from '../kept-results.js'
import { joinBytes } from '../../http/join-bytes.js'
import { sendJsonAnswer } from '../../http/json-content-type.js'
import { fillTemplate, jsonTemplate } from '../../http/json-template.js'
import { assertionUrl, publicBase, refreshResultWire } from '../to-wire.js'
import { deviceOf, parseRefreshRequest, type RefreshRequest } from '../refresh-request.js'
import { BadRequest } from '../../http/request-fields.js'
import { sendErrorList } from '../../http/error-list.js'
import type { SnapStoreDeps } from '../deps.js'

type Parts = Array<string | Buffer>

/** A kept split result's head with this action's instance-key: the part before its tail. */
const headWith = (r: SplitResult, a: SnapAction, comma: boolean): string => `${comma ? ',' : ''}${r.head}${JSON.stringify(a.instanceKey)}`

export async function refreshRoute(app: FastifyInstance, deps: SnapStoreDeps): Promise<void> {
  const kept = new KeptResults(deps.view.index, deps.view.caches)

  /** The answer's parts if every action has a kept result; undefined at the first that has none. */
  const keptParts = (actions: readonly SnapAction[], contexts: ReadonlyMap<string, SnapContext>, env: SnapEnv, keyOf: (a: SnapAction) => string): Parts | undefined => {
    const index = deps.view.index
    const parts: Parts = [RESULTS_OPEN]
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i]!
      let whole = a.snapId === a.instanceKey ? kept.wholeBySnapId(a.instanceKey, keyOf(a)) : undefined
      if (!whole) {
        const pkg = snapPackageOf(index, a, contexts, env)
        if (!pkg) return undefined
        if (a.instanceKey === pkg.id) {
          whole = kept.whole(pkg, keyOf(a))
          if (!whole) return undefined
        } else {
          const rest = kept.rest(pkg, keyOf(a))
          if (!rest) return undefined
          parts.push(headWith(rest, a, i > 0), rest.tail)
          continue
        }
      }
      parts.push(i > 0 ? whole : whole.subarray(1))
    }
    return parts
  }

  /** Resolves every action; only revisions whose result is not kept yet wait for their snap-yaml. */
  const renderedParts = async (actions: readonly SnapAction[], contexts: ReadonlyMap<string, SnapContext>, env: SnapEnv, keyOf: (a: SnapAction) => string): Promise<Parts> => {
    const generation = deps.view.index.generation
    const outcomes = resolveSnapActions(deps.view.index, contexts, actions, env)
    const parts: Parts = [RESULTS_OPEN]
    const misses: Array<Promise<void>> = []
    outcomes.forEach((o, i) => {
      const comma = i > 0
      if (o.kind !== 'found') { parts.push((comma ? ',' : '') + JSON.stringify(refreshResultWire(deps.urls, o, undefined))); return }
      const key = keyOf(o.action)
      // Two slots: a whole result fills the first, a split one its head and tail.
      const at = parts.push(EMPTY, EMPTY) - 2
      const place = (w: Buffer | undefined, r: SplitResult | undefined) => {
        if (w) parts[at] = comma ? w : w.subarray(1)
        else if (r) { parts[at] = headWith(r, o.action, comma); parts[at + 1] = r.tail }
      }
      const whole = o.action.instanceKey === o.pkg.id
      const w = whole ? kept.whole(o.pkg, key) : undefined
      const r = whole ? undefined : kept.rest(o.pkg, key)
      if (w || r) { place(w, r); return }
      misses.push(deps.view.revisionTexts(o.pkg.id, o.revision.revision).then((texts) => {
        // The instance-key comes right after `result`, before any text of the snap's.
        const t = jsonTemplate((slot) => refreshResultWire(deps.urls, { ...o, action: { ...o.action, instanceKey: slot } }, texts?.snapYaml), 'first')
        // A revision without texts may get them later (CatalogView does not cache a miss either).
        if (whole) {
          const fresh = Buffer.from(`,${fillTemplate(t, o.action.instanceKey)}`)
          if (texts) kept.setWhole(o.pkg, key, fresh, generation)
          place(fresh, undefined)
        } else {
          const split = { head: t.head, tail: Buffer.from(t.tail) }
          if (texts) kept.setRest(o.pkg, key, split)
          place(undefined, split)
        }
      }))
    })
    await Promise.all(misses)
    return parts
  }

  const fetchResults = async (parts: Parts, fetches: RefreshRequest['fetches'], maxFormats: RefreshRequest['maxFormats'], count: number): Promise<void> => {
    for (const f of fetches) {
      const r = await resolveFetchAssertions(deps.assertions, f.refs, maxFormats)
      parts.push((count++ > 0 ? ',' : '') + JSON.stringify({
        result: 'fetch-assertions', key: f.key,
        'assertion-stream-urls': r.found.map((a) => assertionUrl(deps.urls, a.type, a.key)),
        ...(r.errors.length > 0 ? {
          'error-list': r.errors.map((e) => ({
            code: e.code, message: e.message, type: e.type,
            ...(e.sequenceKey ? { 'sequence-key': e.sequenceKey } : { 'primary-key': e.primaryKey ?? [] }),
          })),
        } : {}),
      }))
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
    try { parsed = parseRefreshRequest(req.body) } catch (err) {
      if (!(err instanceof BadRequest)) throw err
      sendErrorList(reply, 400, 'invalid-request', err.message)
      return undefined
    }
    const device = deviceOf(req)
    // snapd always sends Snap-Device-Architecture; a bare client that does not gets amd64 builds.
    const env = { architecture: device.architecture ?? 'amd64', series: device.series }
    const contexts = contextsByKey(parsed.contexts)
    // Download URLs carry the public base (known only once the server listens, with --port 0).
    const keyTail = `\0${publicBase(deps.urls)}`
    const keyOf = snapShaper(contexts, snapEnvShape(env), keyTail)
    const ready = keptParts(parsed.actions, contexts, env, keyOf)
    if (ready && parsed.fetches.length === 0) { send(reply, ready); return undefined }
    const { actions, fetches, maxFormats } = parsed
    return (ready ? Promise.resolve(ready) : renderedParts(actions, contexts, env, keyOf)).then(async (parts) => {
      await fetchResults(parts, fetches, maxFormats, actions.length)
      send(reply, parts)
    })
  })
}

const RESULTS_OPEN = '{"results":['
const RESULTS_CLOSE = '],"error-list":[]}'
const EMPTY = ''
