// kysely implementation of the catalog's assertion read port (catalog/ports.ts AssertionReader).
// Lookups by (type, primary key) are cached briefly: an assertion's bytes change only when an import
// stores a newer revision of it, and snapd fetches the same chain (account-key, account) for every
// download. Misses are not cached, so a freshly imported assertion is served at once. While the
// database does not answer, the last answer read is served however old (assertions are signed and
// only ever superseded by newer revisions); with none, the lookup fails with Unavailable.
import { sql, type Kysely } from 'kysely'
import { sequenceOf } from '../../assertions/keys.js'
import type { AssertionReader, StoredAssertion } from '../../catalog/ports.js'
import { Unavailable } from '../../catalog/errors.js'
import type { DB } from './database.js'

interface Row {
  type: string
  primary_key: string
  revision: number
  body: Uint8Array
  headers: unknown
}

function toStored(r: Row): StoredAssertion {
  const headers = (typeof r.headers === 'string' ? JSON.parse(r.headers) : (r.headers ?? {})) as Record<string, string>
  const format = Number(headers.format ?? '0')
  return {
    type: r.type,
    primaryKey: r.primary_key,
    revision: Number(r.revision),
    format: Number.isSafeInteger(format) ? format : 0,
    headers,
    bytes: Buffer.from(r.body),
  }
}

export interface AssertionCacheOptions {
  /** How long a found assertion is served from memory (ms). */
  readonly ttlMs?: number
  /** Bytes of assertions held (their text, counted twice for the parsed headers). */
  readonly maxBytes?: number
}

export function assertionReader(db: Kysely<DB>, opts: AssertionCacheOptions = {}): AssertionReader & { clear(): void } {
  const ttl = opts.ttlMs ?? 10_000
  const max = opts.maxBytes ?? 16 << 20
  const cache = new Map<string, { at: number; value: StoredAssertion; weight: number }>()
  let total = 0
  const drop = (key: string): void => {
    const e = cache.get(key)
    if (e) {
      cache.delete(key)
      total -= e.weight
    }
  }
  const columns = ['type', 'primary_key', 'revision', 'body', 'headers'] as const

  // Last answers of the list lookups, kept only to serve while the database is down (bounded like `cache`).
  const lastLists = new Map<string, StoredAssertion[]>()
  const unavailable = () => new Unavailable('the assertion database is not answering; try again shortly')
  const remember = (key: string, value: StoredAssertion[]) => {
    lastLists.delete(key)
    lastLists.set(key, value)
    // Keys are only ever ones the database answered rows for, so few; the bound is a backstop.
    if (lastLists.size > 1024) lastLists.delete(lastLists.keys().next().value!)
  }

  return {
    async assertion(type, primaryKey) {
      const key = `${type}\u0000${primaryKey}`
      const hit = cache.get(key)
      if (hit && Date.now() - hit.at < ttl) {
        cache.delete(key) // re-insert: Map order is the LRU order
        cache.set(key, hit)
        return hit.value
      }
      let row: Row | undefined
      try {
        row = await db
          .selectFrom('assertions')
          .select(columns)
          .where('type', '=', type)
          .where('primary_key', '=', primaryKey)
          .executeTakeFirst()
      } catch {
        if (hit) return hit.value
        throw unavailable()
      }
      drop(key)
      if (!row) return undefined
      const value = toStored(row)
      const weight = key.length + 2 * value.bytes.length + 200
      cache.set(key, { at: Date.now(), value, weight })
      total += weight
      while (total > max) drop(cache.keys().next().value!)
      return value
    },
    async latestInSequence(type, sequenceKey) {
      const prefix = `${sequenceKey}/`
      let rows: Array<{ primary_key: string }>
      const memo = `seq\u0000${type}\u0000${sequenceKey}`
      try {
        rows = await db
          .selectFrom('assertions')
          .select(['primary_key'])
          .where('type', '=', type)
          .where(sql<boolean>`starts_with(primary_key, ${prefix})`)
          .execute()
      } catch {
        const last = lastLists.get(memo)
        if (last) return last[0]
        throw unavailable()
      }
      let best: { key: string; seq: number } | undefined
      for (const r of rows) {
        const seq = sequenceOf(sequenceKey, r.primary_key)
        if (seq !== undefined && (!best || seq > best.seq)) best = { key: r.primary_key, seq }
      }
      const found = best ? await this.assertion(type, best.key) : undefined
      if (found) remember(memo, [found])
      return found
    },
    async ofType(type) {
      const memo = `type\u0000${type}`
      try {
        const rows = (await db.selectFrom('assertions').select(columns).where('type', '=', type).orderBy('primary_key').execute()).map(
          toStored,
        )
        remember(memo, rows)
        return rows
      } catch {
        const last = lastLists.get(memo)
        if (last) return last
        throw unavailable()
      }
    },
    clear() {
      cache.clear()
      total = 0
      lastLists.clear()
    },
  }
}
