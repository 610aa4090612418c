// Verifying an uploaded set of assertions up to trusted roots, with the checks snapd's database runs
// when each is added (asserts/database.go Check + DefaultCheckers, and the types' checkConsistency):
// the signing account-key belongs to the authority, is itself verified up to a trusted root, is valid
// now and at the assertion's timestamp, the signature verifies, and the authority relations hold.
import { InvalidInput, type Location } from '../catalog/errors.js'
import { describeValidity, InvalidAssertion, readAccountKey, requireTime, validAt, type AccountKey } from './account-key.js'
import { decodeSignature, OpenPgpError, verifySignature } from './openpgp.js'
import { describeAssertion, headerString, type Assertion } from './parse.js'
import { findRoot, isTrustedAccount, refKey, type TrustedRoots } from './roots.js'
import { assertionType } from './types.js'

export type FailureReason =
  | 'invalid' // malformed for its type, or clashes with a trusted root
  | 'unknown-key' // no account-key with the sign-key-sha3-384, in the upload or the roots
  | 'authority-mismatch' // the signing key belongs to another account than the authority
  | 'untrusted-chain' // the signing key does not verify up to a root, or the authority is not directly trusted
  | 'expired-key' // the signing key is not valid now, or at the assertion's timestamp
  | 'bad-signature'
  | 'missing-prerequisite' // e.g. a snap-revision without its snap-declaration
  | 'unsupported' // authority delegation, non-default provenance, key constraints: refused, not implemented

/** `chain`: key ids from the signing key up to a trusted root key; empty for a trusted root itself. */
export type VerifyResult =
  | {
      readonly ok: true
      readonly assertion: Assertion
      readonly name: string
      readonly trustedRoot: boolean
      readonly chain: readonly string[]
    }
  | { readonly ok: false; readonly assertion: Assertion; readonly name: string; readonly reason: FailureReason; readonly message: string }

export interface VerifyOptions {
  readonly roots: TrustedRoots
  /** The current time for the key-expiry check snapd makes at install; null skips it. Default: now. */
  readonly now?: Date | null
}

class Failure extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
  ) {
    super(message)
  }
}

/** Where a missing account or account-key can come from: the upload itself, or the site's trusted roots. */
function howToAdd(type: 'account' | 'account-key', key: string): string {
  const header = type === 'account' ? 'account-id' : 'public-key-sha3-384'
  return `add that ${type} assertion (\`snap known --remote ${type} ${header}=${key}\` on a connected machine prints it) to the upload or, if it is a root this site trusts, to a file given to --trusted-assertions (AIRLOCK_TRUSTED_ASSERTIONS)`
}

// Types whose authority must be a directly trusted account (their checkConsistency).
const TRUSTED_AUTHORITY_ONLY = new Set(['account', 'account-key', 'snap-declaration', 'store', 'base-declaration'])

/** Verifies each assertion of `upload`; results are in input order, one per assertion. */
export function verifyAssertions(upload: readonly Assertion[], opts: VerifyOptions): VerifyResult[] {
  const now = opts.now === undefined ? Date.now() : opts.now?.getTime()
  const index = new Map<string, Assertion>()
  for (const a of upload) {
    const k = refKey(a.type.name, a.primaryKey)
    const prev = index.get(k)
    if (!prev || revision(a) > revision(prev)) index.set(k, a)
  }
  const done = new Map<Assertion, VerifyResult>()
  const busy = new Set<Assertion>()
  const find = (type: string, key: readonly string[]) => findRoot(opts.roots, type, key) ?? index.get(refKey(type, key))

  const verify = (a: Assertion): VerifyResult => {
    const memo = done.get(a)
    if (memo) return memo
    const name = describeAssertion(a)
    let result: VerifyResult
    busy.add(a)
    try {
      result = { ok: true, assertion: a, name, ...check(a) }
    } catch (e) {
      if (e instanceof Failure) result = { ok: false, assertion: a, name, reason: e.reason, message: e.message }
      else if (e instanceof InvalidAssertion) result = { ok: false, assertion: a, name, reason: 'invalid', message: e.message }
      else throw e
    } finally {
      busy.delete(a)
    }
    done.set(a, result)
    return result
  }

  const check = (a: Assertion): { trustedRoot: boolean; chain: string[] } => {
    const root = findRoot(opts.roots, a.type.name, a.primaryKey)
    if (root) {
      if (root.bytes.equals(a.bytes)) return { trustedRoot: true, chain: [] }
      throw new Failure('invalid', 'has the primary key of a trusted root assertion but different content')
    }
    if (a.type.noAuthority) throw new Failure('invalid', `${a.type.name} assertions are device requests, not store data`)
    checkTypeHeaders(a)
    const authority = headerString(a, 'authority-id')!
    const signatory = headerString(a, 'signatory-id') ?? authority
    if (signatory !== authority) {
      throw new Failure(
        'unsupported',
        `signed by ${JSON.stringify(signatory)} on behalf of ${JSON.stringify(authority)}: authority delegation is not supported`,
      )
    }

    const keyId = headerString(a, 'sign-key-sha3-384')!
    const keyAssertion = find('account-key', [keyId])
    if (!keyAssertion)
      throw new Failure(
        'unknown-key',
        `no account-key ${keyId} (for a signature by ${JSON.stringify(signatory)}) in the upload or the trusted roots; ${howToAdd('account-key', keyId)}`,
      )
    let key: AccountKey
    try {
      key = readAccountKey(keyAssertion)
    } catch (e) {
      if (!(e instanceof InvalidAssertion)) throw e
      throw new Failure('untrusted-chain', `signing key ${keyId} is not a valid account-key: ${e.message}`)
    }
    if (key.accountId !== signatory) {
      throw new Failure(
        'authority-mismatch',
        `signed with key ${keyId} of account ${JSON.stringify(key.accountId)}, but the authority is ${JSON.stringify(signatory)}`,
      )
    }
    const keyName = `account-key ${keyId} (${key.accountId}${key.name ? '/' + key.name : ''})`
    // newer snapd restricts what such keys may sign (account-key format 1); refuse rather than ignore
    if (keyAssertion.headers.constraints !== undefined) {
      throw new Failure('unsupported', `signing ${keyName} has signing constraints, which are not supported`)
    }
    let chain = [keyId]
    if (!findRoot(opts.roots, 'account-key', [keyId])) {
      if (busy.has(keyAssertion)) throw new Failure('untrusted-chain', `${keyName} is signed in a loop that never reaches a trusted root`)
      const up = verify(keyAssertion)
      if (!up.ok) throw new Failure('untrusted-chain', `signing ${keyName} is not trusted: ${up.message}`)
      chain = [keyId, ...up.chain]
    }

    if (now !== undefined && !validAt(key, now)) {
      throw new Failure(
        'expired-key',
        `signing ${keyName} is expired or not yet valid at the current time ${new Date(now).toISOString()}: ${describeValidity(key)}`,
      )
    }
    try {
      verifySignature(a.content, decodeSignature(a.signature), key.publicKey)
    } catch (e) {
      if (!(e instanceof OpenPgpError)) throw e
      throw new Failure('bad-signature', `signature does not verify with ${keyName}: ${e.message}`)
    }
    if (a.type.timestamped) {
      const ts = requireTime(a, 'timestamp')
      if (!validAt(key, ts)) {
        throw new Failure(
          'expired-key',
          `timestamp ${headerString(a, 'timestamp')} is outside the validity of signing ${keyName}: ${describeValidity(key)}`,
        )
      }
    }
    checkConsistency(a, authority)
    return { trustedRoot: false, chain }
  }

  const checkConsistency = (a: Assertion, authority: string) => {
    const trusted = isTrustedAccount(opts.roots, authority)
    const untrusted = () =>
      new Failure(
        'untrusted-chain',
        `is not signed by a directly trusted authority: ${JSON.stringify(authority)} (to trust it, pass its account assertion account-id=${authority} and its account-key to --trusted-assertions)`,
      )
    const need = (type: string, key: string[], why: string) => {
      if (find(type, key)) return
      const what = describeAssertion({ type: assertionType(type)!, primaryKey: key })
      const how = type === 'account' || type === 'account-key' ? `; ${howToAdd(type, key[0]!)}` : ''
      throw new Failure('missing-prerequisite', `needs ${what} (${why}), which is neither uploaded nor trusted${how}`)
    }
    const h = (n: string) => headerString(a, n) ?? ''
    if (TRUSTED_AUTHORITY_ONLY.has(a.type.name) && !trusted) throw untrusted()
    switch (a.type.name) {
      case 'account-key':
        return need('account', [h('account-id')], 'the key owner')
      case 'snap-declaration':
        return need('account', [h('publisher-id')], 'the publisher')
      case 'snap-revision':
        if (a.primaryKey[1] !== 'global-upload') {
          throw new Failure(
            'unsupported',
            `provenance ${JSON.stringify(a.primaryKey[1])} needs revision-authority checks, which are not implemented`,
          )
        }
        if (!trusted)
          throw new Failure('untrusted-chain', `is not signed by a store (a directly trusted authority): ${JSON.stringify(authority)}`)
        need('account', [h('developer-id')], 'the developer')
        return need('snap-declaration', ['16', h('snap-id')], 'its snap')
      case 'snap-developer':
        if (!trusted && h('publisher-id') !== authority)
          throw new Failure('untrusted-chain', 'must be signed by the publisher or a directly trusted authority')
    }
  }

  return upload.map(verify)
}

// Type-specific headers the checks above rely on (a subset of snapd's assemble* functions).
function checkTypeHeaders(a: Assertion): void {
  if (a.type.name === 'account-key') readAccountKey(a)
  if (a.type.timestamped) requireTime(a, 'timestamp')
  const required: Record<string, string[]> = {
    account: ['display-name', 'validation'],
    'snap-declaration': ['publisher-id'],
    'snap-revision': ['snap-id', 'developer-id', 'snap-size', 'snap-revision'],
  }
  for (const n of required[a.type.name] ?? []) {
    if (!headerString(a, n)) throw new InvalidAssertion(`"${n}" header is missing or empty`)
  }
  if (a.type.name === 'snap-revision') {
    // what cross-checks with the snap file rely on (assembleSnapRevision)
    if (!/^[A-Za-z0-9_-]{64}$/.test(a.primaryKey[0]!)) throw new InvalidAssertion('"snap-sha3-384" header is not a SHA3-384 digest')
    if (!/^(0|[1-9][0-9]{0,15})$/.test(headerString(a, 'snap-size')!))
      throw new InvalidAssertion('"snap-size" header is not an unsigned integer')
    if (!/^[1-9][0-9]{0,15}$/.test(headerString(a, 'snap-revision')!))
      throw new InvalidAssertion('"snap-revision" header must be an integer >= 1')
  }
}

function revision(a: Assertion): number {
  return Number(headerString(a, 'revision') ?? '0')
}

/** Throws InvalidInput naming the first failed assertion (and how many others failed). */
export function requireVerified(results: readonly VerifyResult[], where: Location = {}): void {
  const failed = results.filter((r) => !r.ok)
  const first = failed[0]
  if (!first || first.ok) return
  const more = failed.length > 1 ? ` (and ${failed.length - 1} more assertion(s) failed)` : ''
  throw new InvalidInput(where, `${first.name}: ${first.message}${more}`)
}
