// The OpenPGP subset: key ids and bodies as snapd computes them, signatures decoded and checked, and
// a fixture signer whose output matches snapd's byte for byte.
import { describe, expect, it } from 'vitest'
import { decodePublicKey, decodeSignature, encodeV1, packet, verifySignature } from '../../src/assertions/openpgp.js'
import { CANONICAL_ROOT_KEY_ID, canonicalRoots } from '../../src/assertions/canonical-root.js'
import { parseAssertions, type Assertion } from '../../src/assertions/parse.js'
import {
  fixture,
  signAssertion,
  signContent,
  testRootKey,
  testStoreKey,
  TEST_ROOT_KEY_ID,
  TEST_STORE_KEY_ID,
} from '../support/assertion-signer.js'

const one = (name: string): Assertion => parseAssertions(fixture(name))[0]!
const headersOf = (a: Assertion) => Object.fromEntries(Object.entries(a.headers).filter(([k]) => k !== 'type'))

describe('public keys', () => {
  it.each([
    ['test-root.account-key', TEST_ROOT_KEY_ID],
    ['test-store.account-key', TEST_STORE_KEY_ID],
  ])('%s: the body hashes to its key id', (file, id) => {
    const a = one(file)
    expect(decodePublicKey(a.body).id).toBe(id)
    expect(a.primaryKey[0]).toBe(id)
  })
  it('the Canonical root key hashes to its id (an 8192-bit key)', () => {
    const key = decodePublicKey(canonicalRoots()[1]!.body)
    expect(key.id).toBe(CANONICAL_ROOT_KEY_ID)
    expect(key.n.length).toBe(1024)
  })
  it('a private key gives back the exact account-key body and id (key re-dated to 2016-01-01)', () => {
    expect(testRootKey().publicKeyBody).toBe(one('test-root.account-key').body.toString())
    expect(testStoreKey().id).toBe(TEST_STORE_KEY_ID)
  })
  it.each([
    ['a v3 key packet', packet(6, Buffer.from([3, 0, 0, 0, 0, 0, 0, 1, 0, 8, 1, 0, 2, 3, 1])), /version 3 \(only v4\)/],
    ['a DSA key', packet(6, Buffer.from([4, 0, 0, 0, 0, 17, 0, 8, 1])), /expected an RSA public key, got OpenPGP algorithm 17/],
    ['a signature instead of a key', packet(2, Buffer.from([4, 0])), /expected a public key packet, got packet type 2/],
    [
      'trailing data',
      Buffer.concat([packet(6, Buffer.from([4, 0, 0, 0, 0, 1, 0, 8, 0xc5, 0, 2, 3])), Buffer.from([0])]),
      /spurious trailing data/,
    ],
  ])('refuses %s', (_name, pkt, problem) => expect(() => decodePublicKey(encodeV1(pkt))).toThrow(problem))
  it('refuses another format version and non-base64', () => {
    expect(() => decodePublicKey(Buffer.from([2, 0xc6, 0]).toString('base64'))).toThrow(/unsupported public key format version: 2/)
    expect(() => decodePublicKey('not base64!')).toThrow(/not base64/)
  })
})

describe('signatures', () => {
  it('decodes snapd-made (no unhashed subpackets) and GnuPG-made (issuer subpacket) signatures', () => {
    const snapd = decodeSignature(one('testrootorg.account').signature)
    expect(snapd).toMatchObject({ sigType: 0, pubKeyAlgo: 1, hashAlgo: 10 })
    expect(new Date(snapd.created * 1000).toISOString()).toBe('2018-06-27T12:25:40.000Z')
    const gpg = decodeSignature(canonicalRoots()[1]!.signature)
    expect(gpg.rsaSignature.length).toBe(1024)
  })
  it('verifies with the right key and not with another', () => {
    const a = one('testrootorg.account')
    const root = decodePublicKey(one('test-root.account-key').body)
    expect(() => verifySignature(a.content, decodeSignature(a.signature), root)).not.toThrow()
    const store = decodePublicKey(one('test-store.account-key').body)
    expect(() => verifySignature(a.content, decodeSignature(a.signature), store)).toThrow(/does not|hash tag/)
  })
  it('fails on one changed content byte', () => {
    const a = one('testrootorg.account')
    const content = Buffer.from(a.content)
    const at = content.indexOf('Testrootorg')
    content[at] = content[at]! ^ 0x20
    const root = decodePublicKey(one('test-root.account-key').body)
    expect(() => verifySignature(content, decodeSignature(a.signature), root)).toThrow(/hash tag does not match|does not verify/)
  })

  const sigPacket = (mutate: (b: Buffer) => void) => {
    const raw = Buffer.from(signContent(Buffer.from('x'), testStoreKey(), new Date(0)).replace(/\n/g, ''), 'base64')
    const body = Buffer.from(raw.subarray(4)) // 0x01, then a new-format header with a 2-byte length
    mutate(body)
    return encodeV1(packet(2, body))
  }
  it.each([
    ['a v3 signature', (b: Buffer) => void (b[0] = 3), /signature packet version 3 \(only v4\)/],
    ['a DSA signature', (b: Buffer) => void (b[2] = 17), /unsupported signature algorithm 17/],
    ['SHA-256', (b: Buffer) => void (b[3] = 8), /unsupported signature hash 8 \(only SHA-512/],
    ['a text-mode signature', (b: Buffer) => void (b[1] = 1), /unsupported signature type 1/],
    ['no creation time', (b: Buffer) => void (b[7] = 16), /no creation time/],
    ['an unknown critical subpacket', (b: Buffer) => void (b[7] = 0x80 | 40), /unsupported critical signature subpacket 40/],
  ])('refuses %s', (_name, mutate, problem) => expect(() => decodeSignature(sigPacket(mutate))).toThrow(problem))
})

describe('the fixture signer matches snapd byte for byte', () => {
  const resign = (a: Assertion, key = testRootKey(), body?: Buffer) =>
    signAssertion({ type: a.type.name, headers: headersOf(a), body, key, signedAt: new Date(decodeSignature(a.signature).created * 1000) })

  it('reproduces testrootorg.account (signed by snapd with the test root key)', () => {
    const a = one('testrootorg.account')
    expect(resign(a).toString()).toBe(fixture('testrootorg.account').toString())
  })
  it('reproduces developer1.account (signed by snapd with the test store key)', () => {
    const a = one('developer1.account')
    expect(resign(a, testStoreKey()).equals(fixture('developer1.account'))).toBe(true)
  })
  it('reproduces the content of the GnuPG-signed test-store account-key', () => {
    const a = one('test-store.account-key')
    const mine = parseAssertions(resign(a, testRootKey(), Buffer.from(testStoreKey().publicKeyBody)))[0]!
    expect(mine.content.equals(a.content)).toBe(true)
  })
  it('signs deterministically (RSA PKCS#1 v1.5), so a fixed signing time gives fixed bytes', () => {
    const at = new Date('2024-01-01T00:00:00Z')
    expect(signContent(Buffer.from('abc'), testStoreKey(), at)).toBe(signContent(Buffer.from('abc'), testStoreKey(), at))
  })
})
