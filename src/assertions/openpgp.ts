// The OpenPGP subset snapd uses for assertions (asserts/crypto.go on golang.org/x/crypto/openpgp):
// signatures and account-key bodies are base64 of 0x01 ‖ one OpenPGP v4 packet. Only RSA keys and
// RSA/SHA-512 signatures are accepted: that is what snapd signs with and what Canonical's keys use;
// anything else is refused with a message saying what was found.
import { createHash, createPublicKey, verify as rsaVerify, type KeyObject } from 'node:crypto'

export class OpenPgpError extends Error {}

const V1 = 0x01
const TAG_SIGNATURE = 2
const TAG_PUBLIC_KEY = 6
const ALGO_RSA = 1
const HASH_SHA512 = 10
const SUBPACKET_CREATION_TIME = 2
const SUBPACKET_ISSUER = 16
/** snapd re-dates every key to this instant before hashing it (crypto.go, v1FixedTimestamp). */
export const KEY_TIMESTAMP = Date.UTC(2016, 0, 1) / 1000

export interface RsaPublicKey {
  /** snapd's key id: base64url (no padding) of SHA3-384(0x01 ‖ the normalised public-key packet). */
  readonly id: string
  readonly n: Buffer
  readonly e: Buffer
  readonly key: KeyObject
}

export interface Signature {
  readonly sigType: number
  readonly pubKeyAlgo: number
  readonly hashAlgo: number
  /** Creation time from the hashed subpacket, seconds since the epoch. */
  readonly created: number
  /** What is hashed after the content: version … hashed subpackets ‖ 0x04 0xFF ‖ length (RFC 4880 §5.2.4). */
  readonly hashSuffix: Buffer
  readonly hashTag: Buffer
  readonly rsaSignature: Buffer
}

/** Decodes snapd's "v1" wrapping: base64 (line breaks allowed) of 0x01 ‖ exactly one packet. */
function decodeV1(text: Buffer | string, kind: string): { tag: number; body: Buffer } {
  const s = (typeof text === 'string' ? text : text.toString('latin1')).replace(/[\r\n]/g, '')
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw new OpenPgpError(`cannot decode ${kind}: not base64`)
  const raw = Buffer.from(s, 'base64')
  if (raw.length === 0) throw new OpenPgpError(`cannot decode ${kind}: no data`)
  if (raw[0] !== V1) throw new OpenPgpError(`unsupported ${kind} format version: ${raw[0]}`)
  const { tag, body, end } = readPacket(raw, 1, kind)
  if (end !== raw.length) throw new OpenPgpError(`${kind} has spurious trailing data`)
  return { tag, body }
}

// RFC 4880 §4.2 packet headers, old and new format; partial (streamed) lengths are refused.
function readPacket(b: Buffer, pos: number, kind: string): { tag: number; body: Buffer; end: number } {
  const short = () => new OpenPgpError(`cannot decode ${kind}: truncated packet`)
  const h = b[pos]
  if (h === undefined || (h & 0x80) === 0) throw new OpenPgpError(`cannot decode ${kind}: not an OpenPGP packet`)
  let tag: number
  let len: number
  let p = pos + 1
  if (h & 0x40) {
    tag = h & 0x3f
    const o1 = b[p++]
    if (o1 === undefined) throw short()
    if (o1 < 192) len = o1
    else if (o1 < 224) {
      if (p >= b.length) throw short()
      len = ((o1 - 192) << 8) + b[p++]! + 192
    } else if (o1 === 255) {
      if (p + 4 > b.length) throw short()
      len = b.readUInt32BE(p)
      p += 4
    } else throw new OpenPgpError(`cannot decode ${kind}: partial-length packets are not supported`)
  } else {
    tag = (h >> 2) & 0x0f
    const lenType = h & 3
    if (lenType === 3) len = b.length - p
    else {
      const n = 1 << lenType
      if (p + n > b.length) throw short()
      len = b.readUIntBE(p, n)
      p += n
    }
  }
  if (p + len > b.length) throw short()
  return { tag, body: b.subarray(p, p + len), end: p + len }
}

function readMpi(b: Buffer, pos: number, what: string): { value: Buffer; end: number } {
  if (pos + 2 > b.length) throw new OpenPgpError(`truncated ${what}`)
  const bytes = (b.readUInt16BE(pos) + 7) >> 3
  if (pos + 2 + bytes > b.length) throw new OpenPgpError(`truncated ${what}`)
  return { value: b.subarray(pos + 2, pos + 2 + bytes), end: pos + 2 + bytes }
}

const stripZeros = (b: Buffer) => {
  let i = 0
  while (i < b.length - 1 && b[i] === 0) i++
  return b.subarray(i)
}

/** An MPI as Go's big.Int serialises it: bit length, then the bytes without leading zeros. */
function mpi(value: Buffer): Buffer {
  const v = stripZeros(value)
  const bits = v.length === 0 || v[0] === 0 ? 0 : (v.length - 1) * 8 + (32 - Math.clz32(v[0]!))
  const head = Buffer.alloc(2)
  head.writeUInt16BE(bits)
  return Buffer.concat([head, bits === 0 ? Buffer.alloc(0) : v])
}

/** A new-format packet header, as x/crypto/openpgp's serializeHeader writes it. */
export function packet(tag: number, body: Buffer): Buffer {
  const n = body.length
  let len: Buffer
  if (n < 192) len = Buffer.from([n])
  else if (n < 8384) len = Buffer.from([((n - 192) >> 8) + 192, (n - 192) & 0xff])
  else {
    len = Buffer.alloc(5)
    len[0] = 255
    len.writeUInt32BE(n, 1)
  }
  return Buffer.concat([Buffer.from([0xc0 | tag]), len, body])
}

/** The v4 RSA public-key packet snapd hashes for key ids and writes into account-key bodies. */
export function rsaPublicKeyPacket(n: Buffer, e: Buffer): Buffer {
  const head = Buffer.from([4, 0, 0, 0, 0, ALGO_RSA])
  head.writeUInt32BE(KEY_TIMESTAMP, 1)
  return packet(TAG_PUBLIC_KEY, Buffer.concat([head, mpi(n), mpi(e)]))
}

/** base64 of 0x01 ‖ data, wrapped at 76 columns, as snapd's encodeV1. */
export function encodeV1(data: Buffer): string {
  const flat = Buffer.concat([Buffer.from([V1]), data]).toString('base64')
  return flat.match(/.{1,76}/g)!.join('\n')
}

export function keyIdOf(n: Buffer, e: Buffer): string {
  return createHash('sha3-384')
    .update(Buffer.from([V1]))
    .update(rsaPublicKeyPacket(n, e))
    .digest('base64url')
}

/**
 * Decodes an account-key body. Like snapd (DecodePublicKey), the id is computed over the key
 * re-serialised with the fixed 2016-01-01 date, whatever date the body's packet carries.
 */
export function decodePublicKey(text: Buffer | string): RsaPublicKey {
  const { tag, body } = decodeV1(text, 'public key')
  if (tag !== TAG_PUBLIC_KEY) throw new OpenPgpError(`expected a public key packet, got packet type ${tag}`)
  if (body[0] !== 4) throw new OpenPgpError(`unsupported public key packet version ${body[0]} (only v4)`)
  if (body.length < 6) throw new OpenPgpError('truncated public key')
  const algo = body[5]!
  if (algo < 1 || algo > 3) throw new OpenPgpError(`expected an RSA public key, got OpenPGP algorithm ${algo}`)
  const n = readMpi(body, 6, 'public key modulus')
  const e = readMpi(body, n.end, 'public key exponent')
  if (e.end !== body.length) throw new OpenPgpError('public key packet has trailing data')
  // x/crypto/openpgp refuses exponents over 3 bytes ("large public exponent")
  if (stripZeros(e.value).length > 3) throw new OpenPgpError('unsupported large RSA public exponent')
  const N = stripZeros(n.value)
  const E = stripZeros(e.value)
  const key = createPublicKey({ key: { kty: 'RSA', n: N.toString('base64url'), e: E.toString('base64url') }, format: 'jwk' })
  return { id: keyIdOf(N, E), n: N, e: E, key }
}

/** Decodes an assertion signature; only v4 RSA signatures over SHA-512 of a binary document. */
export function decodeSignature(text: Buffer | string): Signature {
  const { tag, body: b } = decodeV1(text, 'signature')
  if (tag !== TAG_SIGNATURE) throw new OpenPgpError(`expected a signature packet, got packet type ${tag}`)
  if (b[0] !== 4) throw new OpenPgpError(`unsupported signature packet version ${b[0]} (only v4)`)
  if (b.length < 8) throw new OpenPgpError('truncated signature')
  const [sigType, pubKeyAlgo, hashAlgo] = [b[1]!, b[2]!, b[3]!]
  if (sigType !== 0) throw new OpenPgpError(`unsupported signature type ${sigType} (expected 0, a binary document)`)
  if (pubKeyAlgo !== ALGO_RSA) throw new OpenPgpError(`unsupported signature algorithm ${pubKeyAlgo} (only RSA, 1)`)
  if (hashAlgo !== HASH_SHA512) throw new OpenPgpError(`unsupported signature hash ${hashAlgo} (only SHA-512, 10)`)
  const hashedLen = b.readUInt16BE(4)
  const hashedEnd = 6 + hashedLen
  if (hashedEnd + 2 > b.length) throw new OpenPgpError('truncated signature')
  const created = readSubpackets(b.subarray(6, hashedEnd), true)
  const unhashedEnd = hashedEnd + 2 + b.readUInt16BE(hashedEnd)
  if (unhashedEnd + 2 > b.length) throw new OpenPgpError('truncated signature')
  readSubpackets(b.subarray(hashedEnd + 2, unhashedEnd), false)
  if (created === undefined) throw new OpenPgpError('no creation time in signature')
  const sig = readMpi(b, unhashedEnd + 2, 'RSA signature')
  if (sig.end !== b.length) throw new OpenPgpError('signature packet has trailing data')
  const trailer = Buffer.from([4, 0xff, 0, 0, 0, 0])
  trailer.writeUInt32BE(hashedEnd, 2)
  return {
    sigType,
    pubKeyAlgo,
    hashAlgo,
    created,
    hashSuffix: Buffer.concat([b.subarray(0, hashedEnd), trailer]),
    hashTag: b.subarray(unhashedEnd, unhashedEnd + 2),
    rsaSignature: sig.value,
  }
}

// RFC 4880 §5.2.3.1. Returns the creation time; an unknown critical subpacket is an error.
function readSubpackets(area: Buffer, hashed: boolean): number | undefined {
  let created: number | undefined
  let p = 0
  while (p < area.length) {
    const o1 = area[p]!
    let len = Infinity
    if (o1 < 192) {
      len = o1
      p += 1
    } else if (o1 < 255) {
      if (p + 1 < area.length) len = ((o1 - 192) << 8) + area[p + 1]! + 192
      p += 2
    } else {
      if (p + 5 <= area.length) len = area.readUInt32BE(p + 1)
      p += 5
    }
    if (len === 0 || p + len > area.length) throw new OpenPgpError('malformed signature subpacket')
    const type = area[p]! & 0x7f
    const critical = (area[p]! & 0x80) !== 0
    const data = area.subarray(p + 1, p + len)
    if (type === SUBPACKET_CREATION_TIME) {
      if (!hashed) throw new OpenPgpError('signature creation time in the unhashed area')
      if (data.length !== 4) throw new OpenPgpError('signature creation time is not four bytes')
      created = data.readUInt32BE(0)
    } else if (critical && type !== SUBPACKET_ISSUER) {
      throw new OpenPgpError(`unsupported critical signature subpacket ${type}`)
    }
    p += len
  }
  return created
}

/**
 * Checks `sig` over `content` with `key`: SHA-512 over content ‖ hash suffix, the two-byte hash tag,
 * then RSA PKCS#1 v1.5 (as x/crypto/openpgp's VerifySignature). Throws OpenPgpError when it fails.
 */
export function verifySignature(content: Buffer, sig: Signature, key: RsaPublicKey): void {
  const digest = createHash('sha512').update(content).update(sig.hashSuffix).digest()
  if (!digest.subarray(0, 2).equals(sig.hashTag)) throw new OpenPgpError('hash tag does not match')
  // OpenSSL wants the signature exactly as long as the modulus; MPIs drop leading zeros
  const size = key.n.length
  if (sig.rsaSignature.length > size) throw new OpenPgpError('RSA signature longer than the key')
  const padded = Buffer.concat([Buffer.alloc(size - sig.rsaSignature.length), sig.rsaSignature])
  const data = Buffer.concat([content, sig.hashSuffix])
  if (!rsaVerify('sha512', data, key.key, padded)) throw new OpenPgpError('RSA signature does not verify')
}
