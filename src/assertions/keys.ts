// Assertion primary keys as Airlock stores and looks them up: the components joined with "/", trailing
// optional components dropped when they hold their default (snapd's ReducePrimaryKey). One function
// makes the key for writing (an import) and for reading (a snapd request), so the two cannot drift.
import { assertionType, type AssertionType } from './types.js'

const SEPARATOR = '/'

/** How many leading primary-key headers are required (the rest are optional, with defaults). */
export function requiredKeyCount(t: AssertionType): number {
  return t.primaryKey.length - Object.keys(t.defaults ?? {}).length
}

/** The stored key of complete, already checked components (a parsed assertion's primaryKey). */
export function reduceKey(t: AssertionType, components: readonly string[]): string {
  const parts = [...components]
  const required = Math.max(requiredKeyCount(t), 1)
  while (parts.length > required && parts[parts.length - 1] === t.defaults?.[t.primaryKey[parts.length - 1]!]) parts.pop()
  return parts.join(SEPARATOR)
}

/** The key an assertion is stored under. */
export function assertionKey(a: { readonly type: AssertionType; readonly primaryKey: readonly string[] }): string {
  return reduceKey(a.type, a.primaryKey)
}

/**
 * The stored key for primary-key components as a client sends them (URL path components, a
 * `fetch-assertions` list). undefined when the type is unknown or unservable, or the count is wrong.
 */
export function storedKey(type: string, components: readonly string[]): string | undefined {
  const t = assertionType(type)
  if (!t || t.noAuthority || components.some((c) => c === '' || c.includes(SEPARATOR))) return undefined
  if (components.length > t.primaryKey.length || components.length < requiredKeyCount(t)) return undefined
  return reduceKey(t, components)
}

/** The stored prefix shared by every member of a sequence (all primary-key components but the last). */
export function sequenceKey(type: string, components: readonly string[]): string | undefined {
  const t = assertionType(type)
  if (!t?.sequenceForming || components.length !== t.primaryKey.length - 1) return undefined
  return storedKey(type, [...components, '1'])?.slice(0, -2)
}

/** The sequence number of a stored key under `prefix` (from sequenceKey); undefined when it is not one. */
export function sequenceOf(prefix: string, key: string): number | undefined {
  if (!key.startsWith(prefix + SEPARATOR)) return undefined
  const rest = key.slice(prefix.length + 1)
  return /^[1-9]\d{0,8}$/.test(rest) ? Number(rest) : undefined
}

/** The stored key split back into its components. */
export function keyComponents(key: string): string[] {
  return key.split(SEPARATOR)
}
