// A verified assertion in the form the catalog stores it: exact bytes, under its stored key.
import { assertionKey } from '../assertions/keys.js'
import { headerString, type Assertion } from '../assertions/parse.js'
import type { AssertionInput } from '../catalog/model.js'

export function assertionInput(a: Assertion): AssertionInput {
  return {
    type: a.type.name,
    primaryKey: assertionKey(a),
    revision: Number(headerString(a, 'revision') ?? 0) || 0,
    bytes: a.bytes,
    // Top-level string headers only; lists and maps stay readable in the exact bytes.
    headers: Object.fromEntries(Object.entries(a.headers).filter((e): e is [string, string] => typeof e[1] === 'string')),
  }
}
