// POST /v2/snaps/refresh (spec §4): install, download and refresh actions resolved against the
// index, fetch-assertions against the assertion store; one result per action, matched by key.
import type { FastifyInstance, FastifyReply } from 'fastify'
import { contextsByKey, resolveSnapActions, snapEnvShape, snapPackageOf, snapShaper, type SnapAction, type SnapContext, type SnapEnv } from '../../catalog/snap-select.js'
import { resolveFetchAssertions } from '../../catalog/snap-assertions.js'
import { DerivedCache } from '../../catalog/derived-cache.js'
import { joinBytes } from '../../http/join-bytes.js'
import { assertionUrl, foundResultRest, publicBase, refreshResultWire, resultHead } from '../to-wire.js'
import { BadRequest, deviceOf, parseRefreshRequest, type RefreshRequest } from '../refresh-request.js'
import { sendError, type SnapStoreDeps } from '../plugin.js'

/** Bytes of kept results (~3 KB each with snap-yaml: ~10,000 snap-and-channel pairs). */
const MAX_CACHED_RESULT_BYTES = 32 << 20

type Parts = Array<string | Buffer>

export async function refreshRoute(app: FastifyInstance, deps: SnapStoreDeps): Promise<void> {
  // A found result is resultHead (action and instance-key) + its rest (to-wire.ts foundResultRest),
  // and the rest is a function of the action's shape (catalog/snap-select.ts snapActionShape), the
  // package object (replaced whenever the package is reloaded), the revision's snap-yaml
  // (immutable) and the public URL base: it is kept per shape and base, for that package object.
  // snapd's refresh actions use the snap-id as instance-key (spec §4.1): for those the whole
  // result is kept, with a leading comma, so a device's refresh is 30 copies of kept bytes.
  const rests = new DerivedCache<string, Buffer>(MAX_CACHED_RESULT_BYTES / 4, (b) => b.length)
  const wholes = new DerivedCache<string, Buffer>(MAX_CACHED_RESULT_BYTES, (b) => b.length)

  /** The answer's parts if every action has a kept result; undefined at the first that has none. */
  const keptParts = (actions: readonly SnapAction[], contexts: ReadonlyMap<string, SnapContext>, env: SnapEnv, keyOf: (a: SnapAction) => string): Parts | undefined => {
    const index = deps.view.index
    const parts: Parts = [RESULTS_OPEN]
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i]!
      const pkg = snapPackageOf(index, a, contexts, env)
      if (!pkg) return undefined
      if (a.instanceKey === pkg.id) {
        const whole = wholes.get(pkg, keyOf(a))
        if (!whole) return undefined
        parts.push(i > 0 ? whole : whole.subarray(1))
      } else {
        const rest = rests.get(pkg, keyOf(a))
        if (!rest) return undefined
        parts.push(resultHead(a, i > 0), rest)
      }
    }
    return parts
  }

  /** Resolves every action; only revisions whose result is not kept yet wait for their snap-yaml. */
  const renderedParts = async (actions: readonly SnapAction[], contexts: ReadonlyMap<string, SnapContext>, env: SnapEnv, keyOf: (a: SnapAction) => string): Promise<Parts> => {
    const outcomes = resolveSnapActions(deps.view.index, contexts, actions, env)
    const parts: Parts = [RESULTS_OPEN]
    const misses: Array<Promise<void>> = []
    outcomes.forEach((o, i) => {
      const comma = i > 0
      if (o.kind !== 'found') { parts.push((comma ? ',' : '') + JSON.stringify(refreshResultWire(deps.urls, o, undefined))); return }
      const key = keyOf(o.action)
      const whole = o.action.instanceKey === o.pkg.id
      const kept = whole ? wholes.get(o.pkg, key) : rests.get(o.pkg, key)
      if (!whole) parts.push(resultHead(o.action, comma))
      const at = parts.push(kept ? (whole && !comma ? kept.subarray(1) : kept) : EMPTY) - 1
      if (kept) return
      misses.push(deps.view.revisionTexts(o.pkg.id, o.revision.revision).then((texts) => {
        const rest = foundResultRest(deps.urls, o, texts?.snapYaml)
        const bytes = Buffer.from(whole ? resultHead(o.action, true) + rest : rest)
        // A revision without texts may get them later (CatalogView does not cache a miss either).
        if (texts) (whole ? wholes : rests).set(o.pkg, key, bytes)
        parts[at] = whole && !comma ? bytes.subarray(1) : bytes
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
    reply.type('application/json').send(joinBytes(parts))
  }

  // Not an async function: a device's refresh answered from kept results is sent before returning,
  // with no promise for Fastify to wait on.
  app.post('/snaps/refresh', { bodyLimit: 16 << 20 }, (req, reply): Promise<void> | undefined => {
    let parsed
    try { parsed = parseRefreshRequest(req.body) } catch (err) {
      if (!(err instanceof BadRequest)) throw err
      sendError(reply, 400, 'invalid-request', err.message)
      return undefined
    }
    const device = deviceOf(req)
    // snapd always sends Snap-Device-Architecture; a bare client that does not gets amd64 builds.
    const env = { architecture: device.architecture ?? 'amd64', series: device.series }
    const contexts = contextsByKey(parsed.contexts)
    // Download URLs carry the public base, which can follow the request's Host.
    const keyTail = `\0${publicBase(deps.urls)}`
    const keyOf = snapShaper(contexts, snapEnvShape(env), keyTail)
    const kept = keptParts(parsed.actions, contexts, env, keyOf)
    if (kept && parsed.fetches.length === 0) { send(reply, kept); return undefined }
    const { actions, fetches, maxFormats } = parsed
    return (kept ? Promise.resolve(kept) : renderedParts(actions, contexts, env, keyOf)).then(async (parts) => {
      await fetchResults(parts, fetches, maxFormats, actions.length)
      send(reply, parts)
    })
  })
}

const RESULTS_OPEN = '{"results":['
const RESULTS_CLOSE = '],"error-list":[]}'
const EMPTY = ''
