// POST /v2/charms/refresh (spec §5): wire in, resolveRefresh, wire out; one result per action.
import type { FastifyInstance } from 'fastify'
import { resolveRefresh, type ActionOutcome, type RefreshAction, type RefreshContext } from '../../catalog/refresh-actions.js'
import type { Base } from '../../catalog/base.js'
import { DerivedCache } from '../../catalog/derived-cache.js'
import { fillTemplate, jsonTemplate, type JsonTemplate } from '../../http/json-template.js'
import { refreshResult } from '../to-wire.js'
import { errorList, type CharmhubDeps } from '../plugin.js'

class BadRequest extends Error { readonly statusCode = 400 }

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

function str(v: unknown, field: string, optional = true): string | undefined {
  if (v === undefined || (optional && v === null)) return undefined
  if (typeof v !== 'string') throw new BadRequest(`${field}: expected a string`)
  return v
}

function int(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new BadRequest(`${field}: expected an integer`)
  return v
}

function base(v: unknown, field: string): Base | null {
  if (v === null || v === undefined) return null
  if (!isObj(v)) throw new BadRequest(`${field}: expected an object or null`)
  const architecture = str(v.architecture, `${field}.architecture`) ?? ''
  if (!architecture) throw new BadRequest(`${field}.architecture: required`)
  return { name: str(v.name, `${field}.name`) ?? 'NA', channel: str(v.channel, `${field}.channel`) ?? 'NA', architecture }
}

function parse(body: unknown): { contexts: RefreshContext[]; actions: RefreshAction[]; fields?: string[] } {
  if (!isObj(body)) throw new BadRequest('expected a JSON object')
  const ctx = body.context ?? []
  const acts = body.actions ?? []
  if (!Array.isArray(ctx)) throw new BadRequest('context: expected a list')
  if (!Array.isArray(acts)) throw new BadRequest('actions: expected a list')
  const contexts = ctx.map((c, i): RefreshContext => {
    if (!isObj(c)) throw new BadRequest(`context[${i}]: expected an object`)
    const b = base(c.base, `context[${i}].base`)
    if (!b) throw new BadRequest(`context[${i}].base: required`)
    return {
      instanceKey: str(c['instance-key'], `context[${i}].instance-key`) ?? '',
      id: str(c.id, `context[${i}].id`) ?? '',
      revision: int(c.revision, `context[${i}].revision`) ?? -1,
      base: b,
      trackingChannel: str(c['tracking-channel'], `context[${i}].tracking-channel`),
    }
  })
  const actions = acts.map((a, i): RefreshAction => {
    if (!isObj(a)) throw new BadRequest(`actions[${i}]: expected an object`)
    const action = a.action
    if (action !== 'install' && action !== 'download' && action !== 'refresh') throw new BadRequest(`actions[${i}].action: expected install, download or refresh`)
    const rr = a['resource-revisions']
    if (rr !== undefined && rr !== null && !Array.isArray(rr)) throw new BadRequest(`actions[${i}].resource-revisions: expected a list`)
    return {
      action,
      instanceKey: str(a['instance-key'], `actions[${i}].instance-key`) ?? '',
      id: str(a.id, `actions[${i}].id`) || undefined,
      name: str(a.name, `actions[${i}].name`) || undefined,
      channel: str(a.channel, `actions[${i}].channel`) || undefined,
      revision: int(a.revision, `actions[${i}].revision`),
      base: base(a.base, `actions[${i}].base`),
      resourceRevisions: (rr as unknown[] | undefined)?.map((r, j) => {
        if (!isObj(r)) throw new BadRequest(`actions[${i}].resource-revisions[${j}]: expected an object`)
        return { name: str(r.name, `actions[${i}].resource-revisions[${j}].name`) ?? '', revision: int(r.revision, `actions[${i}].resource-revisions[${j}].revision`) ?? 0 }
      }),
    }
  })
  const fields = Array.isArray(body.fields) ? body.fields.filter((f): f is string => typeof f === 'string') : undefined
  return { contexts, actions, ...(fields ? { fields } : {}) }
}

export async function refreshRoute(app: FastifyInstance, deps: CharmhubDeps): Promise<void> {
  // ~4 KB a result: room for one selection of every charm of a 20,000-charm catalog. Smaller than
  // the working set, a cyclic walk over it (the revision updater's, a bench's) would miss every time.
  const cache = new DerivedCache<string, JsonTemplate>(MAX_CACHED_RESULT_BYTES, (t) => t.head.length + t.tail.length)
  app.post('/refresh', { bodyLimit: 16 << 20 }, async (req, reply) => {
    let parsed
    try { parsed = parse(req.body) } catch (err) {
      if (err instanceof BadRequest) return reply.code(400).type('application/json').send(errorList('invalid-request', err.message))
      throw err
    }
    const outcomes = resolveRefresh(deps.view.index, parsed.contexts, parsed.actions)
    const fieldsKey = parsed.fields?.join(',') ?? '*'
    const results = await Promise.all(outcomes.map(async (o) => {
      if (o.kind !== 'found') return JSON.stringify(refreshResult(deps.urls, deps.registry, o, undefined, parsed.fields))
      // Only instance-key varies between answers with the same selection (cache key) from the same
      // package object; it comes after the charm entity, whose texts could hold anything.
      const key = foundKey(o, fieldsKey, deps.urls.storeUrl(''))
      let t = cache.get(key, o.pkg)
      if (!t) {
        const texts = await deps.view.revisionTexts(o.pkg.id, o.selection.revision.revision)
        t = jsonTemplate((slot) => refreshResult(deps.urls, deps.registry, { ...o, action: { ...o.action, instanceKey: slot } }, texts, parsed.fields))
        cache.set(key, o.pkg, t)
      }
      return fillTemplate(t, o.action.instanceKey)
    }))
    return reply.type('application/json').send(`{"error-list":[],"results":[${results.join(',')}]}`)
  })
}

/** Everything a found result depends on besides the package object and instance-key. */
const MAX_CACHED_RESULT_BYTES = 128 << 20

type FoundOutcome = Extract<ActionOutcome, { kind: 'found' }>

function foundKey(o: FoundOutcome, fieldsKey: string, urlBase: string): string {
  const rel = o.selection.release
  const channel = rel ? `${rel.channel.track}/${rel.channel.risk}/${rel.channel.branch}@${rel.releasedAt}` : ''
  const resources = o.resources.map((r) => `${r.name}:${r.revision}`).join(',')
  return `${o.pkg.id}\n${o.action.action}\n${o.selection.revision.revision}\n${channel}\n${o.architecture ?? ''}\n${resources}\n${fieldsKey}\n${urlBase}`
}
