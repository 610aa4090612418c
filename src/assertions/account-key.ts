// Reading the headers verification depends on: account-key validity (asserts/account_key.go,
// assembleAccountKey) and RFC 3339 times as Go's time.Parse(time.RFC3339, …) accepts them.
import { headerString, type Assertion } from './parse.js'
import { decodePublicKey, OpenPgpError, type RsaPublicKey } from './openpgp.js'

export interface AccountKey {
  readonly accountId: string
  readonly name: string | undefined
  readonly publicKey: RsaPublicKey
  /** Validity [since, until) in epoch milliseconds; until undefined means forever. */
  readonly since: number
  readonly until: number | undefined
}

/** The assertion is malformed for its type (a header or body that snapd's assemble step would refuse). */
export class InvalidAssertion extends Error {}

// Go's RFC3339 layout when parsing: optional fractional seconds, "Z" or a ±hh:mm offset.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/

/** Epoch milliseconds (fractional below a millisecond) of an RFC 3339 time, or undefined. */
export function parseTime(s: string): number | undefined {
  const m = RFC3339.exec(s)
  if (!m) return undefined
  const [y, mo, d, h, mi, sec] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]))
  if (mo! < 1 || mo! > 12 || d! < 1 || d! > new Date(Date.UTC(y!, mo!, 0)).getUTCDate()) return undefined
  if (h! > 23 || mi! > 59 || sec! > 59) return undefined
  let offset = 0
  if (m[9]) {
    const [oh, om] = [Number(m[10]), Number(m[11])]
    if (oh > 23 || om > 59) return undefined
    offset = (m[9] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000
  }
  const frac = m[7] ? Number(`0.${m[7]}`) * 1000 : 0
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, sec!) - offset + frac
}

export function requireTime(a: Assertion, name: string): number {
  const s = headerString(a, name)
  if (s === undefined || s === '') throw new InvalidAssertion(`"${name}" header is missing`)
  const t = parseTime(s)
  if (t === undefined) throw new InvalidAssertion(`"${name}" header is not an RFC 3339 time: ${JSON.stringify(s)}`)
  return t
}

// account_key.go, validAccountKeyName
const KEY_NAME = /^(?:[a-z0-9]+-?)*[a-z](?:-?[a-z0-9])*$/
const cache = new WeakMap<Assertion, AccountKey>()

/** Reads and checks an account-key assertion: body key matching public-key-sha3-384, since/until. */
export function readAccountKey(a: Assertion): AccountKey {
  const hit = cache.get(a)
  if (hit) return hit
  if (a.type.name !== 'account-key') throw new InvalidAssertion(`expected an account-key, got ${a.type.name}`)
  const accountId = headerString(a, 'account-id')
  if (!accountId) throw new InvalidAssertion('"account-id" header is missing or empty')
  const name = headerString(a, 'name')
  if (a.headers.name !== undefined && (name === undefined || !KEY_NAME.test(name))) {
    throw new InvalidAssertion(`"name" header is not a valid key name: ${JSON.stringify(a.headers.name)}`)
  }
  const since = requireTime(a, 'since')
  const until = a.headers.until === undefined ? undefined : requireTime(a, 'until')
  if (until !== undefined && until < since) throw new InvalidAssertion("'until' time cannot be before 'since' time")
  let publicKey: RsaPublicKey
  try {
    publicKey = decodePublicKey(a.body)
  } catch (e) {
    if (e instanceof OpenPgpError) throw new InvalidAssertion(`body: ${e.message}`)
    throw e
  }
  if (publicKey.id !== a.primaryKey[0]) {
    throw new InvalidAssertion(`public key does not match provided key id (body key is ${publicKey.id})`)
  }
  const key = { accountId, name, publicKey, since, until }
  cache.set(a, key)
  return key
}

export function validAt(key: AccountKey, t: number): boolean {
  return key.since <= t && (key.until === undefined || t < key.until)
}

export function describeValidity(key: AccountKey): string {
  const iso = (t: number) => new Date(t).toISOString()
  return key.until === undefined ? `valid from ${iso(key.since)}` : `valid during [${iso(key.since)}, ${iso(key.until)})`
}
