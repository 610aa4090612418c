// Reading fields of a JSON request body that the store APIs take leniently: a field absent or null is
// absent, a wrong type is a 400 naming the field ("actions[2].revision: expected an integer").
import { MAX_LIST_ENTRIES, tooMany } from './limits.js'

/** A malformed request body; Fastify answers it with 400 and its message. */
export class BadRequest extends Error {
  readonly statusCode = 400
}

export const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

export function fieldString(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw new BadRequest(`${field}: expected a string`)
  return v
}

export function fieldInt(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new BadRequest(`${field}: expected an integer`)
  return v
}

export function fieldStrings(v: unknown, field: string): string[] | undefined {
  if (v === undefined || v === null) return undefined
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new BadRequest(`${field}: expected a list of strings`)
  return v as string[]
}

/** A list of at most `max` entries; absent is empty. */
export function fieldList(v: unknown, field: string, max = MAX_LIST_ENTRIES): unknown[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) throw new BadRequest(`${field}: expected a list`)
  if (v.length > max) throw new BadRequest(tooMany(field, v.length, max))
  return v
}
