// Assertions that arrive inside a charm export (the publisher's account assertion). snapd is served
// from the same assertion store (GET /v2/assertions, fetch-assertions), and nothing in a charm export
// is checked by Juju, so only assertions that verify up to a trusted root, exactly as snap imports
// verify them, may go there. The rest are dropped: Charmhub answers never serve assertion bytes.
import type { AssertionInput } from '../catalog/model.js'
import type { Assertion } from '../assertions/parse.js'
import type { TrustedRoots } from '../assertions/roots.js'
import { verifyAssertions } from '../assertions/verify.js'
import { assertionInput } from './assertion-input.js'

export function verifiedCharmAssertions(list: readonly Assertion[], roots: TrustedRoots): AssertionInput[] {
  return verifyAssertions(list, { roots }).flatMap((v) => (v.ok ? [assertionInput(v.assertion)] : []))
}
