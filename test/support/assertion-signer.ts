// A fixture signer that writes assertions byte for byte as snapd's assembleAndSign does
// (asserts/asserts.go, asserts/crypto.go), with Node's crypto. With snapd's public test root
// (`testrootorg`, test/fixtures/snapd-test-keys) its output is accepted by a `withtestkeys` snap CLI.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { compareBytes, formatHeader, type HeaderValue } from '../../src/assertions/headers.js'
import { encodeV1, keyIdOf, packet, rsaPublicKeyPacket } from '../../src/assertions/openpgp.js'
import { assertionType } from '../../src/assertions/types.js'

export const FIXTURES = fileURLToPath(new URL('../fixtures/snapd-test-keys/', import.meta.url))
export const TEST_ROOT_KEY_ID = 'hIedp1AvrWlcDI4uS_qjoFLzjKl5enu4G2FYJpgB3Pj-tUzGlTQBxMBsBmi-tnJR'
export const TEST_STORE_KEY_ID = 'XCIC_Wvj9_hiAt0b10sDon74oGr3a6xGODkMZqrj63ZzNYUD5N87-ojjPoeN7f1Y'

export interface SigningKey {
  /** sign-key-sha3-384 / public-key-sha3-384 */
  readonly id: string
  readonly privateKey: KeyObject
  /** The account-key body for this key: encodeV1 of its normalised public-key packet. */
  readonly publicKeyBody: string
}

export function signingKey(privateKey: KeyObject): SigningKey {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' })
  const n = Buffer.from(jwk.n!, 'base64url')
  const e = Buffer.from(jwk.e!, 'base64url')
  return { id: keyIdOf(n, e), privateKey, publicKeyBody: encodeV1(rsaPublicKeyPacket(n, e)) }
}

/** A fresh RSA key (2048 bits: snapd makes 4096-bit ones, but does not check sizes, and tests stay fast). */
export function generateSigningKey(bits = 2048): SigningKey {
  return signingKey(generateKeyPairSync('rsa', { modulusLength: bits }).privateKey)
}

export const fixture = (name: string): Buffer => readFileSync(FIXTURES + name)
const fromFixture = (name: string) => signingKey(createPrivateKey(fixture(name)))
/** snapd's systestkeys TestRootPrivKey (account-key `test-root` of testrootorg, the trusted test root). */
export const testRootKey = (): SigningKey => fromFixture('test-root.pkcs8.pem')
/** snapd's systestkeys TestStorePrivKey (account-key `test-store` of testrootorg, signed by the root). */
export const testStoreKey = (): SigningKey => fromFixture('test-store.pkcs8.pem')
/** testrootorg's account and root account-key: the extra roots a withtestkeys snapd trusts. */
export const testRootAssertions = (): Buffer =>
  Buffer.concat([fixture('testrootorg.account'), Buffer.from('\n'), fixture('test-root.account-key')])

export interface SignInput {
  readonly type: string
  /** Every header but type, body-length and sign-key-sha3-384 (authority-id included). */
  readonly headers: Readonly<Record<string, HeaderValue>>
  readonly body?: string | Buffer
  readonly key: SigningKey
  /** The signature's creation time; default the `timestamp` header (else 2024-01-01), so the same input always signs to the same bytes. */
  readonly signedAt?: Date
}

/** The encoded assertion: content ‖ "\n\n" ‖ signature ‖ "\n", as snapd's Encode of a signed assertion. */
export function signAssertion(input: SignInput): Buffer {
  const type = assertionType(input.type)
  if (!type) throw new Error(`unknown assertion type ${input.type}`)
  const body = Buffer.from(input.body ?? '')
  const h: Record<string, HeaderValue> = { ...input.headers }
  for (const k of ['type', 'body-length', 'sign-key-sha3-384']) delete h[k]
  const int = (k: string) => Number(h[k] ?? '0')
  let text = `type: ${type.name}`
  const written = new Set(['type', 'format', 'authority-id', 'signatory-id', 'revision'])
  const put = (k: string) => {
    if (h[k] !== undefined) text += formatHeader(k, h[k]!)
  }
  if (int('format') > 0) put('format')
  put('authority-id')
  if (h['signatory-id'] !== h['authority-id']) put('signatory-id')
  if (int('revision') > 0) put('revision')
  for (const k of type.primaryKey) {
    written.add(k)
    if (h[k] === undefined && type.defaults?.[k] !== undefined) continue
    if (typeof h[k] !== 'string' || h[k] === '') throw new Error(`primary key header ${k} is missing`)
    if (h[k] !== type.defaults?.[k]) put(k)
  }
  for (const k of Object.keys(h)
    .filter((k) => !written.has(k))
    .sort(compareBytes))
    put(k)
  if (body.length > 0) text += formatHeader('body-length', String(body.length))
  text += formatHeader('sign-key-sha3-384', input.key.id)
  const content = body.length > 0 ? Buffer.concat([Buffer.from(text + '\n\n'), body]) : Buffer.from(text)
  const ts = typeof input.headers.timestamp === 'string' ? new Date(input.headers.timestamp) : undefined
  const signature = signContent(
    content,
    input.key,
    input.signedAt ?? (ts && !Number.isNaN(ts.getTime()) ? ts : new Date('2024-01-01T00:00:00Z')),
  )
  return Buffer.concat([content, Buffer.from('\n\n' + signature + '\n')])
}

/** snapd's signContent: v4 RSA/SHA-512 binary signature, one hashed creation-time subpacket, encodeV1. */
export function signContent(content: Buffer, key: SigningKey, signedAt: Date): string {
  const created = Buffer.alloc(4)
  created.writeUInt32BE(Math.floor(signedAt.getTime() / 1000))
  const hashed = Buffer.concat([Buffer.from([5, 2]), created])
  const head = Buffer.concat([Buffer.from([4, 0x00, 1, 10, 0, hashed.length]), hashed])
  const trailer = Buffer.from([4, 0xff, 0, 0, 0, 0])
  trailer.writeUInt32BE(head.length, 2)
  const signed = Buffer.concat([content, head, trailer])
  const hashTag = createHash('sha512').update(signed).digest().subarray(0, 2)
  const rsa = sign('sha512', signed, key.privateKey)
  // x/crypto writes the signature MPI at full modulus length, with bit length 8 × bytes
  const mpiHead = Buffer.alloc(2)
  mpiHead.writeUInt16BE(rsa.length * 8)
  return encodeV1(packet(2, Buffer.concat([head, Buffer.from([0, 0]), hashTag, mpiHead, rsa])))
}

export const digestOf = (data: Buffer): string => createHash('sha3-384').update(data).digest('base64url')

const T = (d: Date | string) => (typeof d === 'string' ? d : d.toISOString())
interface Common {
  key: SigningKey
  authorityId?: string
  timestamp?: Date | string
  signedAt?: Date
  extra?: Record<string, HeaderValue>
}

export function account(o: Common & { accountId: string; displayName?: string; username?: string; validation?: string }): Buffer {
  const headers: Record<string, HeaderValue> = {
    'authority-id': o.authorityId ?? 'testrootorg',
    'account-id': o.accountId,
    'display-name': o.displayName ?? o.accountId,
    timestamp: T(o.timestamp ?? new Date()),
    validation: o.validation ?? 'unproven',
    ...o.extra,
  }
  if (o.username) headers.username = o.username
  return signAssertion({ type: 'account', headers, key: o.key, signedAt: o.signedAt })
}

/** An account-key certifying `certified` for `accountId`, signed by `key`. */
export function accountKey(
  o: Common & { certified: SigningKey; accountId: string; name: string; since?: Date | string; until?: Date | string },
): Buffer {
  const headers: Record<string, HeaderValue> = {
    'authority-id': o.authorityId ?? 'testrootorg',
    'public-key-sha3-384': o.certified.id,
    'account-id': o.accountId,
    name: o.name,
    since: T(o.since ?? '2016-01-01T00:00:00Z'),
    ...o.extra,
  }
  if (o.until) headers.until = T(o.until)
  return signAssertion({ type: 'account-key', headers, body: o.certified.publicKeyBody, key: o.key, signedAt: o.signedAt })
}

export function snapDeclaration(o: Common & { snapId: string; snapName: string; publisherId: string }): Buffer {
  const headers = {
    'authority-id': o.authorityId ?? 'testrootorg',
    series: '16',
    'snap-id': o.snapId,
    'publisher-id': o.publisherId,
    'snap-name': o.snapName,
    timestamp: T(o.timestamp ?? new Date()),
    ...o.extra,
  }
  return signAssertion({ type: 'snap-declaration', headers, key: o.key, signedAt: o.signedAt })
}

export function snapRevision(o: Common & { snap: Buffer; snapId: string; revision: number; developerId: string }): Buffer {
  const headers = {
    'authority-id': o.authorityId ?? 'testrootorg',
    'snap-sha3-384': digestOf(o.snap),
    'snap-id': o.snapId,
    'snap-size': String(o.snap.length),
    'snap-revision': String(o.revision),
    'developer-id': o.developerId,
    timestamp: T(o.timestamp ?? new Date()),
    ...o.extra,
  }
  return signAssertion({ type: 'snap-revision', headers, key: o.key, signedAt: o.signedAt })
}
