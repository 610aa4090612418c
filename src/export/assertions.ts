// Assertions as snapd fetches them (GET /v2/assertions/<type>/<key>?max-format=N), and the chain a
// snap needs: snap-revision → snap-declaration, the developer's and publisher's accounts, and every
// signing account-key with its owner's account, stopping at the trusted roots (which `snap download`
// leaves out too). The set is then verified with the importer's own checks, so an export that
// verifies here imports there.
import { InvalidInput } from '../catalog/errors.js'
import { describeAssertion, headerString, parseAssertions, type Assertion } from '../assertions/parse.js'
import { findRoot, refKey, type TrustedRoots } from '../assertions/roots.js'
import { assertionType } from '../assertions/types.js'
import { verifyAssertions } from '../assertions/verify.js'
import { ExportError } from './errors.js'
import { getText, type HttpOptions } from './http.js'

export async function fetchAssertion(
  base: string,
  type: string,
  key: readonly string[],
  http: HttpOptions,
): Promise<Assertion | undefined> {
  const url = `${base}/v2/assertions/${type}/${key.map(encodeURIComponent).join('/')}?max-format=${assertionType(type)?.maxFormat ?? 0}`
  const body = await getText(url, { accept: 'application/x.ubuntu.assertion' }, http)
  if (!body) return undefined
  let list: Assertion[]
  try {
    list = parseAssertions(body, { file: url })
  } catch (err) {
    if (err instanceof InvalidInput) throw new ExportError(`the store's ${type} assertion ${key.join('/')} does not parse: ${err.problem}`)
    throw err
  }
  const a = list[0]
  if (!a || a.type.name !== type || refKey(type, a.primaryKey.slice(0, key.length)) !== refKey(type, key)) {
    throw new ExportError(`the store answered ${a ? describeAssertion(a) : 'nothing'} when asked for ${type} ${key.join('/')}`)
  }
  return a
}

/** The snap-revision for `digest` and everything it needs up to the roots, prerequisites first. */
export async function snapAssertionChain(base: string, digest: string, roots: TrustedRoots, http: HttpOptions): Promise<Assertion[]> {
  const got = new Map<string, Assertion>()
  const order: Assertion[] = []
  const visit = async (type: string, key: string[]): Promise<void> => {
    const k = refKey(type, key)
    if (got.has(k) || findRoot(roots, type, key)) return
    const a = await fetchAssertion(base, type, key, http)
    if (!a) throw new ExportError(`the store has no ${type} assertion ${key.join('/')}`)
    got.set(k, a)
    const h = (n: string) => headerString(a, n) ?? ''
    await visit('account-key', [h('sign-key-sha3-384')])
    if (type === 'account-key') await visit('account', [h('account-id')])
    if (type === 'snap-declaration') await visit('account', [h('publisher-id')])
    if (type === 'snap-revision') {
      await visit('snap-declaration', ['16', h('snap-id')])
      await visit('account', [h('developer-id')])
    }
    order.push(a)
  }
  await visit('snap-revision', [digest])
  return order
}

/** Every assertion verifies up to a trusted root; throws naming the first that does not. */
export function verifyChain(list: readonly Assertion[], roots: TrustedRoots): void {
  const failed = verifyAssertions(list, { roots }).find((r) => !r.ok)
  if (failed && !failed.ok) throw new ExportError(`assertion ${failed.name} does not verify: ${failed.message}`)
}
