// Assertions that arrive inside a charm export (the publisher's account assertion). snapd is served
// from the same assertion store (GET /v2/assertions, fetch-assertions), and nothing in a charm export
// is checked by Juju, so only assertions that verify up to a trusted root, exactly as snap imports
// verify them, may go there. The rest are dropped: Charmhub answers never serve assertion bytes.
import type { AssertionInput } from '../catalog/model.js'
import { headerString, parseAssertions, type Assertion } from '../assertions/parse.js'
import type { TrustedRoots } from '../assertions/roots.js'
import { verifyAssertions } from '../assertions/verify.js'
import type { RawAssertion } from './assertion-text.js'
import { storedPrimaryKey } from './snap-plan.js'

export function verifiedCharmAssertions(raw: readonly RawAssertion[], roots: TrustedRoots): AssertionInput[] {
  const parsed: Assertion[] = []
  for (const r of raw) {
    // A charm export is not refused for an assertion snapd could not even parse; it is only never stored.
    try { parsed.push(...parseAssertions(r.bytes)) } catch { /* unverifiable */ }
  }
  return verifyAssertions(parsed, { roots }).flatMap((v) => {
    if (!v.ok) return []
    const a = v.assertion
    const headers: Record<string, string> = {}
    for (const [k, h] of Object.entries(a.headers)) if (typeof h === 'string') headers[k] = h
    return [{ type: a.type.name, primaryKey: storedPrimaryKey(a), revision: Number(headerString(a, 'revision') ?? 0) || 0, bytes: a.bytes, headers }]
  })
}
