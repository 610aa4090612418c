// `airlock push-assertions`: stand-alone assertions an operator brings, chiefly a site's `store`
// assertion (with its operator account and signing key) from an Enterprise Store registration, which
// GET /v2/auth/store/assertions then serves for `snap ack` + `snap set core proxy.store=…`.
// Every assertion must verify up to a trusted root; they are kept byte for byte.
import { InvalidInput } from '../catalog/errors.js'
import type { CatalogStore } from '../catalog/ports.js'
import { describeAssertion, parseAssertions } from '../assertions/parse.js'
import type { TrustedRoots } from '../assertions/roots.js'
import { verifyAssertions } from '../assertions/verify.js'
import { readAllLimited } from './chunks.js'
import { assertionInput } from './assertion-input.js'

/** Types an operator may push on their own; snap assertions come with their snaps (push-snap). */
const STANDALONE = new Set(['store', 'account', 'account-key'])

export interface AssertionOutcome {
  readonly type: string
  readonly key: string
  readonly status: 'imported' | 'unchanged'
}

export async function importAssertionFile(
  file: string,
  input: AsyncIterable<Buffer>,
  deps: { roots: TrustedRoots; catalog: CatalogStore; maxBytes: number },
): Promise<AssertionOutcome[]> {
  const data = await readAllLimited(
    input,
    deps.maxBytes,
    () => new InvalidInput({ file }, `larger than ${deps.maxBytes} bytes (limit limits.max-metadata-bytes)`),
  )
  const list = parseAssertions(data, { file })
  for (const a of list) {
    if (!STANDALONE.has(a.type.name)) {
      throw new InvalidInput(
        { file },
        `${describeAssertion(a)}: only store, account and account-key assertions can be pushed on their own (snap assertions come with their snaps: push-snap)`,
      )
    }
  }
  const failed = verifyAssertions(list, { roots: deps.roots }).find((r) => !r.ok)
  if (failed && !failed.ok) throw new InvalidInput({ file }, `${failed.name}: ${failed.message}`)
  return deps.catalog.transaction(async (w) => {
    const out: AssertionOutcome[] = []
    for (const a of list) {
      const input = assertionInput(a)
      const wrote = await w.putAssertion(input)
      out.push({ type: input.type, key: input.primaryKey, status: wrote ? 'imported' : 'unchanged' })
    }
    return out
  })
}
