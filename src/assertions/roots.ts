// The trusted set: Canonical's built-in root plus the extra `account` / `account-key` assertions given
// with --trusted-assertions (tests use snapd's public test root). As in snapd (sysdb, OpenDatabase),
// trusted assertions are taken as given, only accounts and account-keys may be trusted, and an
// account counts as a "directly trusted authority" only through its trusted `account` assertion.
import { readFile } from 'node:fs/promises'
import { InvalidInput, type Location } from '../catalog/errors.js'
import { InvalidAssertion, readAccountKey } from './account-key.js'
import { canonicalRoots } from './canonical-root.js'
import { decodeSignature, OpenPgpError, verifySignature } from './openpgp.js'
import { describeAssertion, headerString, parseAssertions, type Assertion } from './parse.js'

export interface TrustedRoots {
  readonly assertions: readonly Assertion[]
  readonly byRef: ReadonlyMap<string, Assertion>
}

export function refKey(type: string, primaryKey: readonly string[]): string {
  return [type, ...primaryKey].join('\0')
}

export function findRoot(roots: TrustedRoots, type: string, primaryKey: readonly string[]): Assertion | undefined {
  return roots.byRef.get(refKey(type, primaryKey))
}

export function isTrustedAccount(roots: TrustedRoots, accountId: string): boolean {
  return accountId !== '' && findRoot(roots, 'account', [accountId]) !== undefined
}

/**
 * Builds a trusted set. Refuses other types, account-keys whose body does not match their id, and two
 * different assertions with one primary key. A root signed by a key that is itself in the set must
 * verify with it (this catches corrupted root files); roots signed by other keys are taken as given.
 */
export function trustedRoots(list: readonly Assertion[], where: Location = {}): TrustedRoots {
  const byRef = new Map<string, Assertion>()
  const fail = (a: Assertion, problem: string): never => {
    throw new InvalidInput(where, `trusted ${describeAssertion(a)}: ${problem}`)
  }
  for (const a of list) {
    if (a.type.name !== 'account' && a.type.name !== 'account-key') fail(a, 'only account and account-key assertions can be trusted roots')
    if (a.type.name === 'account-key') {
      try {
        readAccountKey(a)
      } catch (e) {
        if (e instanceof InvalidAssertion) fail(a, e.message)
        throw e
      }
    }
    const k = refKey(a.type.name, a.primaryKey)
    const prev = byRef.get(k)
    if (prev && !prev.bytes.equals(a.bytes)) fail(a, 'given twice with different content')
    byRef.set(k, a)
  }
  const roots: TrustedRoots = { assertions: [...byRef.values()], byRef }
  for (const a of roots.assertions) {
    const keyId = headerString(a, 'sign-key-sha3-384')!
    const signer = findRoot(roots, 'account-key', [keyId])
    if (!signer) continue
    const key = readAccountKey(signer)
    if (key.accountId !== headerString(a, 'authority-id'))
      fail(a, `signed with key ${keyId} of account ${JSON.stringify(key.accountId)}, not of its authority`)
    try {
      verifySignature(a.content, decodeSignature(a.signature), key.publicKey)
    } catch (e) {
      if (e instanceof OpenPgpError) fail(a, `signature does not verify with trusted key ${keyId}: ${e.message}`)
      throw e
    }
  }
  return roots
}

/** What a trusted set holds, for the start-up log: account ids, and each key's id and owner. */
export function describeRoots(roots: TrustedRoots): { accounts: string[]; keys: { id: string; account: string; name?: string }[] } {
  const accounts: string[] = []
  const keys: { id: string; account: string; name?: string }[] = []
  for (const a of roots.assertions) {
    if (a.type.name === 'account') accounts.push(a.primaryKey[0]!)
    else {
      const key = readAccountKey(a)
      keys.push({ id: a.primaryKey[0]!, account: key.accountId, ...(key.name ? { name: key.name } : {}) })
    }
  }
  return { accounts, keys }
}

/** Canonical's root only: what stock snapd trusts. */
export function canonicalTrustedRoots(): TrustedRoots {
  return trustedRoots(canonicalRoots(), { file: 'canonical-root.ts' })
}

/**
 * The trusted set for --trusted-assertions FILE,…: each file is an assertion stream (assertions one
 * after another, as `snap known` prints them), so one file may hold an account and its account-key
 * together; added to Canonical's root unless `canonical` is false.
 */
export async function loadTrustedRoots(files: readonly string[], opts: { canonical?: boolean } = {}): Promise<TrustedRoots> {
  const list: Assertion[] = opts.canonical === false ? [] : canonicalRoots()
  for (const file of files) {
    const bytes = await readFile(file).catch((err: NodeJS.ErrnoException) => {
      throw new InvalidInput(
        { file },
        `cannot read it (${err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'a directory' : (err.code ?? err.message)})`,
      )
    })
    const parsed = parseAssertions(bytes, { file })
    if (parsed.length === 0) throw new InvalidInput({ file }, 'no assertion found')
    // check each file on its own too, so that errors name the file they come from
    trustedRoots([...list, ...parsed], { file })
    list.push(...parsed)
  }
  return trustedRoots(list)
}
