// Assertion lookups for the Snap Store API: primary keys as snapd sends them (URL path components
// or `fetch-assertions` lists) mapped to the stored key, max-format, and the `fetch-assertions`
// action of POST v2/snaps/refresh (docs/protocol/snap-store.md §4.5, §6.1, §4.5).
import { keyComponents, requiredKeyCount, sequenceKey, sequenceOf, storedKey } from '../assertions/keys.js'
import { assertionType } from '../assertions/types.js'
import type { AssertionReader, StoredAssertion } from './ports.js'

/**
 * Finds an assertion by its stored key. A non-default optional key (e.g. a snap-revision's
 * provenance) also matches a row stored under the required keys alone when its header agrees.
 */
export async function findAssertion(reader: AssertionReader, type: string, key: string): Promise<StoredAssertion | undefined> {
  const found = await reader.assertion(type, key)
  if (found) return found
  const t = assertionType(type)
  const parts = keyComponents(key)
  if (!t || parts.length <= requiredKeyCount(t)) return undefined
  const row = await reader.assertion(type, parts.slice(0, requiredKeyCount(t)).join('/'))
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

async function resolveRef(
  reader: AssertionReader,
  ref: AssertionRef,
  maxFormats: Readonly<Record<string, number>>,
): Promise<{ type: string; key: string } | FetchError | undefined> {
  const isUpdate = ref.ifNewerThan !== undefined || ref.ifSequenceEqualOrNewerThan !== undefined || ref.ifSequenceNewerThan !== undefined
  const missing = (): FetchError | undefined =>
    isUpdate
      ? undefined
      : {
          code: 'not-found',
          message: `${ref.type} (${(ref.primaryKey ?? ref.sequenceKey ?? []).join('/')}) not found`,
          type: ref.type,
          ...(ref.sequenceKey ? { sequenceKey: ref.sequenceKey } : { primaryKey: ref.primaryKey ?? [] }),
        }
  let row: StoredAssertion | undefined
  if (ref.sequenceKey) {
    const seqKey = sequenceKey(ref.type, ref.sequenceKey)
    if (!seqKey) return missing()
    row =
      ref.sequence !== undefined && ref.sequence > 0
        ? await reader.assertion(ref.type, `${seqKey}/${ref.sequence}`)
        : await reader.latestInSequence(ref.type, seqKey)
  } else {
    const key = storedKey(ref.type, ref.primaryKey ?? [])
    row = key === undefined ? undefined : await findAssertion(reader, ref.type, key)
  }
  const max = maxFormats[ref.type]
  if (!row || (max !== undefined && row.format > max)) return missing()
  if (ref.sequenceKey) {
    const seq = sequenceOf(sequenceKey(ref.type, ref.sequenceKey)!, row.primaryKey) ?? 0
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
export async function resolveFetchAssertions(
  reader: AssertionReader,
  refs: readonly AssertionRef[],
  maxFormats: Readonly<Record<string, number>> = {},
): Promise<FetchOutcome> {
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
