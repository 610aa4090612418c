// POST /v2/charms/refresh (docs/protocol/charmhub.md §5): wire in, resolveRefresh, wire out; one result per action.
import type { FastifyInstance, FastifyReply } from 'fastify'
import {
  refreshShape,
  refreshShapeKey,
  resolveAction,
  type RefreshAction,
  type RefreshContext,
  type RefreshShape,
} from '../../catalog/refresh-actions.js'
import type { Base } from '../../catalog/base.js'
import { AnswerCache } from '../../http/answer-cache.js'
import { fillTemplateCounted, jsonTemplate, type JsonTemplate } from '../../http/json-template.js'
import { refreshResult } from '../to-wire.js'
import { sendJsonAnswer } from '../../http/json-content-type.js'
import { errorList } from '../../http/error-list.js'
import type { CharmhubDeps } from '../deps.js'
import { MAX_LIST_ENTRIES, MAX_REFRESH_ACTIONS, tooMany } from '../../http/limits.js'
import { BadRequest, fieldInt, fieldString, isObject } from '../../http/request-fields.js'

function base(v: unknown, field: string): Base | null {
  if (v === null || v === undefined) return null
  if (!isObject(v)) throw new BadRequest(`${field}: expected an object or null`)
  const architecture = fieldString(v.architecture, `${field}.architecture`) ?? ''
  if (!architecture) throw new BadRequest(`${field}.architecture: required`)
  return { name: fieldString(v.name, `${field}.name`) ?? 'NA', channel: fieldString(v.channel, `${field}.channel`) ?? 'NA', architecture }
}

function parse(body: unknown): { contexts: RefreshContext[]; actions: RefreshAction[]; fields?: string[] } {
  if (!isObject(body)) throw new BadRequest('expected a JSON object')
  const ctx = body.context ?? []
  const acts = body.actions ?? []
  if (!Array.isArray(ctx)) throw new BadRequest('context: expected a list')
  if (!Array.isArray(acts)) throw new BadRequest('actions: expected a list')
  if (ctx.length > MAX_REFRESH_ACTIONS) throw new BadRequest(tooMany('context', ctx.length, MAX_REFRESH_ACTIONS))
  if (acts.length > MAX_REFRESH_ACTIONS) throw new BadRequest(tooMany('actions', acts.length, MAX_REFRESH_ACTIONS))
  if (Array.isArray(body.fields) && body.fields.length > MAX_LIST_ENTRIES)
    throw new BadRequest(tooMany('fields', body.fields.length, MAX_LIST_ENTRIES))
  const contexts = ctx.map((c, i): RefreshContext => {
    if (!isObject(c)) throw new BadRequest(`context[${i}]: expected an object`)
    const b = base(c.base, `context[${i}].base`)
    if (!b) throw new BadRequest(`context[${i}].base: required`)
    return {
      instanceKey: fieldString(c['instance-key'], `context[${i}].instance-key`) ?? '',
      id: fieldString(c.id, `context[${i}].id`) ?? '',
      revision: fieldInt(c.revision, `context[${i}].revision`) ?? -1,
      base: b,
      trackingChannel: fieldString(c['tracking-channel'], `context[${i}].tracking-channel`),
    }
  })
  const actions = acts.map((a, i): RefreshAction => {
    if (!isObject(a)) throw new BadRequest(`actions[${i}]: expected an object`)
    const action = a.action
    if (action !== 'install' && action !== 'download' && action !== 'refresh')
      throw new BadRequest(`actions[${i}].action: expected install, download or refresh`)
    const rr = a['resource-revisions']
    if (rr !== undefined && rr !== null && !Array.isArray(rr)) throw new BadRequest(`actions[${i}].resource-revisions: expected a list`)
    if (Array.isArray(rr) && rr.length > MAX_LIST_ENTRIES)
      throw new BadRequest(tooMany(`actions[${i}].resource-revisions`, rr.length, MAX_LIST_ENTRIES))
    return {
      action,
      instanceKey: fieldString(a['instance-key'], `actions[${i}].instance-key`) ?? '',
      id: fieldString(a.id, `actions[${i}].id`) || undefined,
      name: fieldString(a.name, `actions[${i}].name`) || undefined,
      channel: fieldString(a.channel, `actions[${i}].channel`) || undefined,
      revision: fieldInt(a.revision, `actions[${i}].revision`),
      base: base(a.base, `actions[${i}].base`),
      resourceRevisions: (rr as unknown[] | undefined)?.map((r, j) => {
        if (!isObject(r)) throw new BadRequest(`actions[${i}].resource-revisions[${j}]: expected an object`)
        return {
          name: fieldString(r.name, `actions[${i}].resource-revisions[${j}].name`) ?? '',
          revision: fieldInt(r.revision, `actions[${i}].resource-revisions[${j}].revision`) ?? 0,
        }
      }),
    }
  })
  const fields = Array.isArray(body.fields) ? body.fields.filter((f): f is string => typeof f === 'string') : undefined
  return { contexts, actions, ...(fields ? { fields } : {}) }
}

/** Each action with its shape (undefined: a refresh without context) and the shape's cache key. */
interface Shaped {
  readonly action: RefreshAction
  readonly shape: RefreshShape | undefined
  readonly handle: string
  readonly rest: string
}

export async function refreshRoute(app: FastifyInstance, deps: CharmhubDeps): Promise<void> {
  // Results by action shape (catalog/refresh-actions.ts refreshShape) with the fields and the public
  // URL base, as templates: only instance-key differs between actions of one shape, and it comes
  // after the charm entity, whose texts could hold anything. A request whose actions all have one is
  // answered without selection, rendering or a promise.
  const cache = new AnswerCache<JsonTemplate>(
    deps.view.index,
    MAX_CACHED_RESULT_BYTES,
    (t) => t.bytes,
    deps.view.caches.counter('charmhub_refresh'),
  )

  const cachedResults = (shaped: readonly Shaped[]): Result[] | undefined => {
    const results: Result[] = []
    for (const s of shaped) {
      const t = s.shape && cache.get(s.handle, s.rest)
      if (!t) return undefined
      results.push(fillTemplateCounted(t, s.action.instanceKey))
    }
    return results
  }

  const renderResults = async (shaped: readonly Shaped[], fields: string[] | undefined): Promise<Result[]> => {
    const generation = deps.view.index.generation
    return Promise.all(
      shaped.map(async (s) => {
        const kept = s.shape && cache.get(s.handle, s.rest)
        if (kept) return fillTemplateCounted(kept, s.action.instanceKey)
        const o = resolveAction(deps.view.index, s.action, s.shape)
        if (o.kind !== 'found') return counted(JSON.stringify(refreshResult(deps.urls, deps.registry, o, undefined, fields)))
        const texts = await deps.view.revisionTexts(o.pkg.id, o.selection.revision.revision)
        const t = jsonTemplate((slot) =>
          refreshResult(deps.urls, deps.registry, { ...o, action: { ...o.action, instanceKey: slot } }, texts, fields),
        )
        cache.set(s.handle, s.rest, t, generation)
        return fillTemplateCounted(t, s.action.instanceKey)
      }),
    )
  }

  // The answer's Content-Length is added up from its results' (kept results know theirs).
  const send = (reply: FastifyReply, results: readonly Result[]): void => {
    let text = ANSWER_OPEN
    let bytes = ANSWER_OPEN.length + ANSWER_CLOSE.length + Math.max(0, results.length - 1)
    results.forEach((r, i) => {
      text += i > 0 ? `,${r.text}` : r.text
      bytes += r.bytes
    })
    sendJsonAnswer(reply, text + ANSWER_CLOSE, bytes)
  }

  // Not an async function: a request answered from the cache sends before returning, and Fastify
  // has no promise to wait for.
  app.post('/refresh', { bodyLimit: 16 << 20 }, (req, reply): Promise<void> | undefined => {
    let parsed
    try {
      parsed = parse(req.body)
    } catch (err) {
      if (!(err instanceof BadRequest)) throw err
      reply.code(400).type('application/json').send(errorList('invalid-request', err.message))
      return undefined
    }
    const { contexts, actions, fields } = parsed
    // Download URLs carry the public base (known only once the server listens, with --port 0).
    const keyTail = `\0${fields?.join(',') ?? '*'}\0${deps.urls.storeUrl('')}`
    const shaped = actions.map((action): Shaped => {
      const shape = refreshShape(action, contexts)
      const key = shape ? refreshShapeKey(shape) : undefined
      return { action, shape, handle: key?.handle ?? '', rest: (key?.rest ?? '') + keyTail }
    })
    const cached = cachedResults(shaped)
    if (cached) {
      send(reply, cached)
      return undefined
    }
    return renderResults(shaped, fields).then((results) => send(reply, results))
  })
}

/** One result's JSON and its UTF-8 length. */
type Result = ReturnType<typeof fillTemplateCounted>
const counted = (text: string): Result => ({ text, bytes: Buffer.byteLength(text) })
const ANSWER_OPEN = '{"error-list":[],"results":['
const ANSWER_CLOSE = ']}'
/** ~4 KB a result: room for one selection of every charm of a 20,000-charm catalog (a walk over a
 * working set larger than the cache, the revision updater's, would miss every time). */
const MAX_CACHED_RESULT_BYTES = 128 << 20
