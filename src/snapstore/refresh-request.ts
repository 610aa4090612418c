// The body of POST v2/snaps/refresh (docs/protocol/snap-store.md §4.1) read leniently into domain values: snapd sends
// fields Airlock ignores (fields, cohort-key, validation-sets, held, ...); wrong types are a 400.
import type { FastifyRequest } from 'fastify'
import { epochOf, type SnapAction, type SnapContext } from '../catalog/snap-select.js'
import type { AssertionRef } from '../catalog/snap-assertions.js'
import { MAX_REFRESH_ACTIONS } from '../http/limits.js'
import { BadRequest, fieldInt, fieldList, fieldString, fieldStrings, isObject } from '../http/request-fields.js'

export interface RefreshRequest {
  readonly contexts: SnapContext[]
  readonly actions: SnapAction[]
  readonly fetches: Array<{ key: string; refs: AssertionRef[] }>
  readonly maxFormats: Record<string, number>
}

function assertionRef(a: unknown, field: string): AssertionRef {
  if (!isObject(a)) throw new BadRequest(`${field}: expected an object`)
  const type = fieldString(a.type, `${field}.type`)
  if (!type) throw new BadRequest(`${field}.type: required`)
  const primaryKey = fieldStrings(a['primary-key'], `${field}.primary-key`)
  const sequenceKey = fieldStrings(a['sequence-key'], `${field}.sequence-key`)
  if (!primaryKey && !sequenceKey) throw new BadRequest(`${field}: primary-key or sequence-key required`)
  return {
    type,
    primaryKey,
    sequenceKey,
    sequence: fieldInt(a.sequence, `${field}.sequence`),
    ifNewerThan: fieldInt(a['if-newer-than'], `${field}.if-newer-than`),
    ifSequenceEqualOrNewerThan: fieldInt(a['if-sequence-equal-or-newer-than'], `${field}.if-sequence-equal-or-newer-than`),
    ifSequenceNewerThan: fieldInt(a['if-sequence-newer-than'], `${field}.if-sequence-newer-than`),
  }
}

export function parseRefreshRequest(body: unknown): RefreshRequest {
  if (!isObject(body)) throw new BadRequest('expected a JSON object')
  const contexts = fieldList(body.context, 'context', MAX_REFRESH_ACTIONS).map((c, i): SnapContext => {
    if (!isObject(c)) throw new BadRequest(`context[${i}]: expected an object`)
    const snapId = fieldString(c['snap-id'], `context[${i}].snap-id`)
    if (!snapId) throw new BadRequest(`context[${i}].snap-id: required`)
    return {
      snapId,
      instanceKey: fieldString(c['instance-key'], `context[${i}].instance-key`) ?? snapId,
      revision: fieldInt(c.revision, `context[${i}].revision`) ?? 0,
      trackingChannel: fieldString(c['tracking-channel'], `context[${i}].tracking-channel`) || undefined,
      epoch: c.epoch === undefined || c.epoch === null ? undefined : epochOf(c.epoch),
    }
  })
  const actions: SnapAction[] = []
  const fetches: RefreshRequest['fetches'] = []
  fieldList(body.actions, 'actions', MAX_REFRESH_ACTIONS).forEach((a, i) => {
    const f = `actions[${i}]`
    if (!isObject(a)) throw new BadRequest(`${f}: expected an object`)
    const action = a.action
    if (action === 'fetch-assertions') {
      const key = fieldString(a.key, `${f}.key`)
      if (!key) throw new BadRequest(`${f}.key: required`)
      fetches.push({ key, refs: fieldList(a.assertions, `${f}.assertions`).map((x, j) => assertionRef(x, `${f}.assertions[${j}]`)) })
      return
    }
    if (action !== 'install' && action !== 'download' && action !== 'refresh') {
      throw new BadRequest(`${f}.action: expected install, download, refresh or fetch-assertions`)
    }
    const instanceKey = fieldString(a['instance-key'], `${f}.instance-key`)
    if (!instanceKey) throw new BadRequest(`${f}.instance-key: required`)
    const name = fieldString(a.name, `${f}.name`) || undefined
    const snapId = fieldString(a['snap-id'], `${f}.snap-id`) || undefined
    if (action !== 'refresh' && !name && !snapId) throw new BadRequest(`${f}: name or snap-id required`)
    actions.push({
      action,
      instanceKey,
      name,
      snapId,
      channel: fieldString(a.channel, `${f}.channel`) || undefined,
      revision: fieldInt(a.revision, `${f}.revision`),
      epoch: a.epoch === undefined || a.epoch === null ? null : epochOf(a.epoch),
    })
  })
  const maxFormats: Record<string, number> = {}
  if (isObject(body['assertion-max-formats'])) {
    for (const [k, v] of Object.entries(body['assertion-max-formats'])) maxFormats[k] = fieldInt(v, `assertion-max-formats.${k}`) ?? 0
  }
  return { contexts, actions, fetches, maxFormats }
}

/** Architecture and series: v2 headers, else the v1 ones (tooling stores may send either). */
export function deviceOf(req: FastifyRequest, query: Record<string, unknown> = {}): { architecture: string | undefined; series: string } {
  const h = (name: string) => {
    const v = req.headers[name]
    return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined
  }
  const q = typeof query.architecture === 'string' && query.architecture !== '' ? query.architecture : undefined
  return {
    architecture: q ?? h('snap-device-architecture') ?? h('x-ubuntu-architecture'),
    series: h('snap-device-series') ?? h('x-ubuntu-series') ?? '16',
  }
}
