// GET /v2/assertions/{type}/{primary-key...} (docs/protocol/snap-store.md §6.1, §5.4): the stored bytes verbatim as
// `application/x.ubuntu.assertion`; not found as 404 `application/problem+json` with
// {"error-list":[{"code":"not-found"}]}, the form snapd turns into asserts.NotFoundError.
// GET /v2/auth/store/assertions: the Snap Store Proxy convention (docs/protocol/snap-store.md §7) for `snap ack`.
import type { FastifyInstance, FastifyReply } from 'fastify'
import { sequenceKey, storedKey } from '../../assertions/keys.js'
import { encodeAssertions } from '../../assertions/parse.js'
import { findAssertion } from '../../catalog/snap-assertions.js'
import { errorList } from '../../http/error-list.js'
import type { StoredAssertion } from '../../catalog/ports.js'
import type { SnapStoreDeps } from '../deps.js'

const MEDIA_TYPE = 'application/x.ubuntu.assertion'

function notFound(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(404).type('application/problem+json').send(errorList('not-found', message))
}

export async function assertionRoutes(app: FastifyInstance, deps: SnapStoreDeps): Promise<void> {
  app.get('/assertions/:type/*', async (req, reply) => {
    const { type, '*': rest } = req.params as { type: string; '*': string }
    const q = req.query as Record<string, string | undefined>
    const components = rest.split('/')
    const seqKey = sequenceKey(type, components)
    let key: string | undefined
    if (seqKey !== undefined) {
      // validation-set/16/<account>/<name>?sequence=<N|latest>
      const seq = q.sequence ?? 'latest'
      if (seq === 'latest') key = (await deps.assertions.latestInSequence(type, seqKey))?.primaryKey
      else if (/^[1-9]\d{0,8}$/.test(seq)) key = storedKey(type, [...components, seq])
    } else key = storedKey(type, components)
    const what = `${type} assertion ${rest}`
    const row = key === undefined ? undefined : await findAssertion(deps.assertions, type, key)
    if (!row) return notFound(reply, `${what} not found`)
    // max-format is the newest format the client can decode; Airlock keeps one revision per key,
    // so one the client cannot read is, for it, not there.
    const max = q['max-format'] === undefined ? undefined : Number(q['max-format'])
    if (max !== undefined && Number.isInteger(max) && row.format > max) {
      return notFound(reply, `${what} not found with format <= ${max} (the stored one has format ${row.format})`)
    }
    return reply.type(MEDIA_TYPE).send(encodeAssertions([row]))
  })
}

export async function storeAssertionRoute(app: FastifyInstance, deps: SnapStoreDeps): Promise<void> {
  app.get('/auth/store/assertions', async (_req, reply) => {
    const stores = await deps.assertions.ofType('store')
    if (stores.length === 0) return notFound(reply, 'no store assertion has been imported into this store')
    // With the operator's account and the signing keys, so `snap ack` can add the store in one batch.
    const extra = new Map<string, StoredAssertion>()
    for (const s of stores) {
      for (const [type, k] of [
        ['account', s.headers['operator-id']],
        ['account-key', s.headers['sign-key-sha3-384']],
      ] as const) {
        const a = k ? await deps.assertions.assertion(type, k) : undefined
        if (a) extra.set(`${type}/${k}`, a)
      }
    }
    return reply.type(MEDIA_TYPE).send(encodeAssertions([...extra.values(), ...stores]))
  })
}
