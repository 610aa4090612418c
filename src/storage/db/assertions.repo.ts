// kysely implementation of the catalog's assertion read port (catalog/ports.ts AssertionReader).
// Lookups by (type, primary key) are cached briefly: an assertion's bytes change only when an import
// stores a newer revision of it, and snapd fetches the same chain (account-key, account) for every
// download. Misses are not cached, so a freshly imported assertion is served at once.
import { sql, type Kysely } from 'kysely'
import type { AssertionReader, StoredAssertion } from '../../catalog/ports.js'
import type { DB } from './database.js'

interface Row { type: string; primary_key: string; revision: number; body: Uint8Array; headers: unknown }

function toStored(r: Row): StoredAssertion {
  const headers = (typeof r.headers === 'string' ? JSON.parse(r.headers) : r.headers ?? {}) as Record<string, string>
  const format = Number(headers.format ?? '0')
  return {
    type: r.type, primaryKey: r.primary_key, revision: Number(r.revision), format: Number.isSafeInteger(format) ? format : 0,
    headers, bytes: Buffer.from(r.body),
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
    if (e) { cache.delete(key); total -= e.weight }
  }
  const columns = ['type', 'primary_key', 'revision', 'body', 'headers'] as const

  return {
    async assertion(type, primaryKey) {
      const key = `${type}\u0000${primaryKey}`
      const hit = cache.get(key)
      if (hit && Date.now() - hit.at < ttl) {
        cache.delete(key) // re-insert: Map order is the LRU order
        cache.set(key, hit)
        return hit.value
      }
      const row = await db.selectFrom('assertions').select(columns)
        .where('type', '=', type).where('primary_key', '=', primaryKey).executeTakeFirst()
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
      const rows = await db.selectFrom('assertions').select(['primary_key'])
        .where('type', '=', type).where(sql<boolean>`starts_with(primary_key, ${prefix})`).execute()
      let best: { key: string; seq: number } | undefined
      for (const r of rows) {
        const rest = r.primary_key.slice(prefix.length)
        if (!/^\d{1,9}$/.test(rest)) continue
        if (!best || Number(rest) > best.seq) best = { key: r.primary_key, seq: Number(rest) }
      }
      return best ? this.assertion(type, best.key) : undefined
    },
    async ofType(type) {
      const rows = await db.selectFrom('assertions').select(columns).where('type', '=', type).orderBy('primary_key').execute()
      return rows.map(toStored)
    },
    clear() { cache.clear(); total = 0 },
  }
}
