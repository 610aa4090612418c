// Assertion lookups for the Snap Store API: primary keys as snapd sends them (URL path components
// or `fetch-assertions` lists) mapped to the stored key, max-format, and the `fetch-assertions`
// action of POST v2/snaps/refresh (docs/protocol/snap-store.md §4.5, §6.1, §4.5).
import { assertionType } from '../assertions/types.js'
import type { AssertionReader, StoredAssertion } from './ports.js'

/**
 * The stored key for these primary-key components: joined with "/", trailing defaulted optional
 * keys dropped (snapd's ReducePrimaryKey). undefined when the type or the count is wrong.
 */
export function storedKey(type: string, components: readonly string[]): string | undefined {
  const t = assertionType(type)
  if (!t || t.noAuthority || components.some((c) => c === '' || c.includes('/'))) return undefined
  const optional = Object.keys(t.defaults ?? {}).length
  if (components.length > t.primaryKey.length || components.length < t.primaryKey.length - optional) return undefined
  const parts = [...components]
  while (parts.length > t.primaryKey.length - optional && parts[parts.length - 1] === t.defaults?.[t.primaryKey[parts.length - 1]!]) parts.pop()
  return parts.join('/')
}

/** The sequence-forming types (`?sequence=`); their last primary key is the sequence. */
export const isSequenceForming = (type: string): boolean => type === 'validation-set'

/**
 * Finds an assertion by its reduced key. A non-default optional key (e.g. a snap-revision's
 * provenance) also matches a row stored under the required keys alone when its header agrees.
 */
export async function findAssertion(reader: AssertionReader, type: string, key: string): Promise<StoredAssertion | undefined> {
  const found = await reader.assertion(type, key)
  if (found) return found
  const t = assertionType(type)
  const parts = key.split('/')
  if (!t || parts.length <= t.primaryKey.length - Object.keys(t.defaults ?? {}).length) return undefined
  const required = parts.slice(0, t.primaryKey.length - Object.keys(t.defaults ?? {}).length)
  const row = await reader.assertion(type, required.join('/'))
  if (!row) return undefined
  const agrees = parts.every((p, i) => (row.headers[t.primaryKey[i]!] ?? t.defaults?.[t.primaryKey[i]!]) === p)
  return agrees ? row : undefined
}

/** One reference of a `fetch-assertions` action (assertAtJSON / assertSeqAtJSON). */
export interface AssertionRef {
  readonly type: string
  readonly primaryKey?: readonly string[] | undefined
  readonly sequenceKey?: readonly string[] | undefined
  readonly sequence?: number | undefined
  readonly ifNewerThan?: number | undefined
  readonly ifSequenceEqualOrNewerThan?: number | undefined
  readonly ifSequenceNewerThan?: number | undefined
}

export interface FetchError {
  readonly code: 'not-found'
  readonly message: string
  readonly type: string
  readonly primaryKey?: readonly string[] | undefined
  readonly sequenceKey?: readonly string[] | undefined
}

export interface FetchOutcome {
  /** (type, stored key) of each assertion to stream, in request order. */
  readonly found: ReadonlyArray<{ type: string; key: string }>
  readonly errors: readonly FetchError[]
}

async function resolveRef(reader: AssertionReader, ref: AssertionRef, maxFormats: Readonly<Record<string, number>>): Promise<{ type: string; key: string } | FetchError | undefined> {
  const isUpdate = ref.ifNewerThan !== undefined || ref.ifSequenceEqualOrNewerThan !== undefined || ref.ifSequenceNewerThan !== undefined
  const missing = (): FetchError | undefined => isUpdate ? undefined : {
    code: 'not-found', message: `${ref.type} (${(ref.primaryKey ?? ref.sequenceKey ?? []).join('/')}) not found`, type: ref.type,
    ...(ref.sequenceKey ? { sequenceKey: ref.sequenceKey } : { primaryKey: ref.primaryKey ?? [] }),
  }
  let row: StoredAssertion | undefined
  if (ref.sequenceKey) {
    const seqKey = storedKey(ref.type, [...ref.sequenceKey, '1'])?.replace(/\/1$/, '')
    if (!seqKey || !isSequenceForming(ref.type)) return missing()
    row = ref.sequence !== undefined && ref.sequence > 0
      ? await reader.assertion(ref.type, `${seqKey}/${ref.sequence}`)
      : await reader.latestInSequence(ref.type, seqKey)
  } else {
    const key = storedKey(ref.type, ref.primaryKey ?? [])
    row = key === undefined ? undefined : await findAssertion(reader, ref.type, key)
  }
  const max = maxFormats[ref.type]
  if (!row || (max !== undefined && row.format > max)) return missing()
  if (ref.sequenceKey) {
    const seq = Number(row.primaryKey.split('/').pop())
    if (ref.ifSequenceNewerThan !== undefined && seq <= ref.ifSequenceNewerThan) return undefined
    if (ref.ifSequenceEqualOrNewerThan !== undefined) {
      if (seq < ref.ifSequenceEqualOrNewerThan) return undefined
      if (seq === ref.ifSequenceEqualOrNewerThan && ref.ifNewerThan !== undefined && row.revision <= ref.ifNewerThan) return undefined
      return { type: row.type, key: row.primaryKey }
    }
  }
  if (ref.ifNewerThan !== undefined && row.revision <= ref.ifNewerThan) return undefined
  return { type: row.type, key: row.primaryKey }
}

/**
 * Resolves one `fetch-assertions` group. Items sent with `if-newer-than` (or a sequence condition)
 * that have nothing newer, or are unknown, produce nothing: a `not-found` there would make
 * `snap refresh` fail (§4.5). Items without it that are unknown become `not-found` errors.
 */
export async function resolveFetchAssertions(reader: AssertionReader, refs: readonly AssertionRef[], maxFormats: Readonly<Record<string, number>> = {}): Promise<FetchOutcome> {
  const found: Array<{ type: string; key: string }> = []
  const errors: FetchError[] = []
  for (const ref of refs) {
    const r = await resolveRef(reader, ref, maxFormats)
    if (!r) continue
    if ('code' in r) errors.push(r)
    else if (!found.some((f) => f.type === r.type && f.key === r.key)) found.push(r)
  }
  return { found, errors }
}
