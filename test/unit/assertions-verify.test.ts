// Verification up to trusted roots: Canonical's root, snapd's public test root, and chains made with
// the fixture signer, including every way a chain can be wrong.
import { describe, expect, it } from 'vitest'
import { InvalidInput } from '../../src/catalog/errors.js'
import { readAccountKey } from '../../src/assertions/account-key.js'
import { canonicalRoots } from '../../src/assertions/canonical-root.js'
import { decodeSignature, verifySignature } from '../../src/assertions/openpgp.js'
import { parseAssertions, type Assertion } from '../../src/assertions/parse.js'
import { canonicalTrustedRoots, loadTrustedRoots, trustedRoots } from '../../src/assertions/roots.js'
import { requireVerified, verifyAssertions, type VerifyResult } from '../../src/assertions/verify.js'
import {
  account,
  accountKey,
  FIXTURES,
  fixture,
  generateSigningKey,
  snapDeclaration,
  snapRevision,
  testRootAssertions,
  testRootKey,
  TEST_ROOT_KEY_ID,
  TEST_STORE_KEY_ID,
  testStoreKey,
  type SigningKey,
} from '../support/assertion-signer.js'

const parse = (...parts: Buffer[]) => parts.flatMap((p) => parseAssertions(p))
const testRoots = trustedRoots([...canonicalRoots(), ...parseAssertions(testRootAssertions())])
const verify = (upload: Assertion[], now: Date | null = new Date('2025-01-01T00:00:00Z'), roots = testRoots) =>
  verifyAssertions(upload, { roots, now })
const failure = (r: VerifyResult | undefined) =>
  r && !r.ok ? { reason: r.reason, message: `${r.name}: ${r.message}` } : { reason: 'ok', message: '' }

describe('trusted roots', () => {
  it('the Canonical root account-key verifies its own self-signature', () => {
    const [acct, key] = canonicalRoots()
    const root = readAccountKey(key!)
    expect(root.accountId).toBe('canonical')
    expect(() => verifySignature(key!.content, decodeSignature(key!.signature), root.publicKey)).not.toThrow()
    expect(() => verifySignature(acct!.content, decodeSignature(acct!.signature), root.publicKey)).not.toThrow()
    expect(canonicalTrustedRoots().assertions).toHaveLength(2)
  })
  it('loads extra roots from files, naming the file on error', async () => {
    const roots = await loadTrustedRoots([FIXTURES + 'testrootorg.account', FIXTURES + 'test-root.account-key'])
    expect(roots.assertions.map((a) => a.type.name)).toEqual(['account', 'account-key', 'account', 'account-key'])
    await expect(loadTrustedRoots([FIXTURES + 'developer1-20-signed.model'])).rejects.toThrow(
      /developer1-20-signed\.model: trusted model .*only account and account-key/,
    )
  })
  it('refuses a corrupted root signed by a trusted key', () => {
    const bad = Buffer.from(fixture('testrootorg.account').toString().replace('Testrootorg', 'TestrootorG'))
    expect(() => trustedRoots([...canonicalRoots(), ...parse(fixture('test-root.account-key'), bad)], { file: 'roots.assert' })).toThrow(
      /roots\.assert: trusted account \(account-id=testrootorg\): signature does not verify/,
    )
  })
})

describe('snapd test data', () => {
  const upload = parse(
    fixture('test-store.account-key'),
    fixture('developer1.account'),
    fixture('developer1.account-key'),
    fixture('developer1-20-signed.model'),
  )
  it('verifies a real chain: model → developer1 key → test-store key → test root', () => {
    const results = verify(upload)
    expect(results.map(failure).map((f) => f.message)).toEqual(['', '', '', ''])
    const model = results[3]!
    expect(model.ok && model.chain).toEqual([
      'EAD4DbLxK_kn0gzNCXOs3kd6DeMU3f-L6BEsSEuJGBqCORR0gXkdDxMbOm11mRFu',
      TEST_STORE_KEY_ID,
      TEST_ROOT_KEY_ID,
    ])
  })
  it('does not verify it with Canonical as the only root', () => {
    const results = verify(upload, null, canonicalTrustedRoots())
    expect(failure(results[0]).reason).toBe('unknown-key')
    expect(failure(results[3])).toMatchObject({
      reason: 'untrusted-chain',
      message: expect.stringMatching(/^model \(series=16, brand-id=developer1, model=.*\): signing account-key EAD4.* is not trusted/),
    })
  })
  it('accepts the roots themselves when uploaded unchanged', () => {
    expect(verify(parse(fixture('testrootorg.account'), fixture('test-root.account-key')))).toMatchObject([
      { ok: true, trustedRoot: true },
      { ok: true, trustedRoot: true },
    ])
  })
})

describe('chains made with the fixture signer', () => {
  const root = testRootKey()
  const store = generateSigningKey()
  const snap = Buffer.from('hsqs fake snap bytes')
  const t = '2024-06-01T12:00:00Z'
  const storeKey = (o: { since?: string; until?: string } = {}) =>
    accountKey({ key: root, certified: store, accountId: 'testrootorg', name: 'airlock-store', ...o })
  const publisher = (key: SigningKey = store) => account({ key, accountId: 'pub1', username: 'pub', timestamp: t })
  const decl = (key: SigningKey = store, o: { authorityId?: string; timestamp?: string } = {}) =>
    snapDeclaration({ key, snapId: 'snapidsnapidsnapidsnapidsnapid01', snapName: 'hello', publisherId: 'pub1', timestamp: t, ...o })
  const rev = (key: SigningKey = store) =>
    snapRevision({ key, snap, snapId: 'snapidsnapidsnapidsnapidsnapid01', revision: 3, developerId: 'pub1', timestamp: t })

  it('verifies testrootorg root → new store key → account, snap-declaration, snap-revision', () => {
    const results = verify(parse(storeKey(), publisher(), decl(), rev()))
    expect(results.map(failure)).toEqual(Array(4).fill({ reason: 'ok', message: '' }))
    expect(results[3]!.ok && results[3]!.chain).toEqual([store.id, TEST_ROOT_KEY_ID])
    expect(() => requireVerified(results)).not.toThrow()
  })
  it('verifies assertions signed directly by the test store key, as the fakestore makes them', () => {
    const results = verify(parse(fixture('test-store.account-key'), publisher(testStoreKey()), decl(testStoreKey()), rev(testStoreKey())))
    expect(results.every((r) => r.ok)).toBe(true)
  })
  it('bad signature: one flipped byte in the content or in the signature', () => {
    const good = rev()
    const text = good.toString()
    const flippedContent = Buffer.from(text.replace('snap-revision: 3', 'snap-revision: 4'))
    const sigAt = text.lastIndexOf('\n\n') + 40
    const flippedSig = Buffer.from(good)
    flippedSig[sigAt] = flippedSig[sigAt] === 0x41 ? 0x42 : 0x41
    for (const bad of [flippedContent, flippedSig]) {
      const r = verify(parse(storeKey(), publisher(), decl(), bad))[3]
      expect(failure(r)).toMatchObject({
        reason: 'bad-signature',
        message: expect.stringMatching(
          /^snap-revision \(snap-sha3-384=.*, provenance=global-upload\): signature does not verify with account-key/,
        ),
      })
    }
  })
  it('wrong key: signed by one key, naming another', () => {
    const impostor = { ...store, privateKey: generateSigningKey().privateKey }
    expect(failure(verify(parse(storeKey(), publisher(), decl(impostor)))[2]).reason).toBe('bad-signature')
  })
  it('unknown key: signed by a key with no account-key anywhere', () => {
    const r = verify(parse(publisher(), decl(generateSigningKey())))[1]
    expect(failure(r)).toMatchObject({
      reason: 'unknown-key',
      message: expect.stringMatching(/no account-key .* \(for a signature by "testrootorg"\)/),
    })
  })
  it('untrusted chain: a self-made root that certifies itself', () => {
    const evil = generateSigningKey()
    const evilKey = accountKey({ key: evil, certified: evil, accountId: 'evil', name: 'root', authorityId: 'evil' })
    const evilAccount = account({ key: evil, accountId: 'evil', authorityId: 'evil', timestamp: t })
    const results = verify(parse(evilKey, evilAccount, decl(evil, { authorityId: 'evil' })))
    expect(failure(results[0])).toMatchObject({
      reason: 'untrusted-chain',
      message: expect.stringMatching(/signed in a loop that never reaches a trusted root/),
    })
    expect(failure(results[2]).reason).toBe('untrusted-chain')
  })
  it('untrusted chain: a key certified by an uncertified key', () => {
    const middle = generateSigningKey()
    const certified = accountKey({ key: middle, certified: store, accountId: 'testrootorg', name: 'store2' })
    const r = verify(parse(certified, publisher(), decl()))[2]
    expect(failure(r)).toMatchObject({ reason: 'untrusted-chain', message: expect.stringMatching(/is not trusted: no account-key/) })
  })
  it('untrusted chain: a snap-declaration from an authority that is not directly trusted', () => {
    const dev = generateSigningKey()
    const devKey = accountKey({ key: root, certified: dev, accountId: 'pub1', name: 'default' })
    const results = verify(parse(devKey, publisher(root), decl(dev, { authorityId: 'pub1' })))
    expect(results[0]!.ok && results[1]!.ok).toBe(true)
    expect(failure(results[2])).toMatchObject({
      reason: 'untrusted-chain',
      message: expect.stringMatching(/not signed by a directly trusted authority: "pub1"/),
    })
  })
  it('authority mismatch: the key belongs to another account than authority-id', () => {
    const r = verify(parse(storeKey(), publisher(), decl(store, { authorityId: 'someone' })))[2]
    expect(failure(r)).toMatchObject({
      reason: 'authority-mismatch',
      message: expect.stringMatching(/of account "testrootorg", but the authority is "someone"/),
    })
  })
  it('expired key: at the current time, and at the assertion timestamp', () => {
    const expired = storeKey({ since: '2020-01-01T00:00:00Z', until: '2024-12-01T00:00:00Z' })
    const now = verify(parse(expired, publisher(), decl(), rev()))
    expect(failure(now[3])).toMatchObject({
      reason: 'expired-key',
      message: expect.stringMatching(
        /expired or not yet valid at the current time 2025-01-01T00:00:00.000Z: valid during \[2020-01-01T00:00:00.000Z, 2024-12-01T00:00:00.000Z\)/,
      ),
    })
    expect(verify(parse(expired, publisher(), decl(), rev()), null).every((r) => r.ok)).toBe(true)
    const late = verify(parse(expired, publisher(), decl(store, { timestamp: '2024-12-24T00:00:00Z' })), null)[2]
    expect(failure(late)).toMatchObject({
      reason: 'expired-key',
      message: expect.stringMatching(/timestamp 2024-12-24T00:00:00Z is outside the validity/),
    })
    const early = verify(parse(storeKey({ since: '2024-07-01T00:00:00+02:00' }), publisher()))[1]
    expect(failure(early).reason).toBe('expired-key')
  })
  it('missing prerequisites: a snap-revision needs its snap-declaration, a declaration its publisher', () => {
    expect(failure(verify(parse(storeKey(), publisher(), rev()))[2])).toMatchObject({
      reason: 'missing-prerequisite',
      message: expect.stringMatching(/needs snap-declaration \(series=16, snap-id=snapid/),
    })
    expect(failure(verify(parse(storeKey(), decl()))[1])).toMatchObject({
      reason: 'missing-prerequisite',
      message: expect.stringMatching(/needs account \(account-id=pub1\)/),
    })
  })
  it('refuses keys with signing constraints and malformed snap-revisions instead of guessing', () => {
    const constrained = accountKey({
      key: root,
      certified: store,
      accountId: 'testrootorg',
      name: 'c',
      extra: { format: '1', constraints: [{ headers: { type: 'snap-revision' } }] },
    })
    expect(failure(verify(parse(constrained, publisher()))[1]).reason).toBe('unsupported')
    const zero = snapRevision({
      key: store,
      snap,
      snapId: 'snapidsnapidsnapidsnapidsnapid01',
      revision: 0,
      developerId: 'pub1',
      timestamp: t,
    })
    expect(failure(verify(parse(storeKey(), publisher(), decl(), zero))[3])).toMatchObject({
      reason: 'invalid',
      message: expect.stringMatching(/"snap-revision" header must be an integer >= 1/),
    })
  })
  it('a changed copy of a trusted root is refused', () => {
    const fake = accountKey({ key: root, certified: root, accountId: 'testrootorg', name: 'test-root' })
    expect(failure(verify(parse(fake))[0]).reason).toBe('invalid')
  })
  it('requireVerified names the first failed assertion', () => {
    const results = verify(parse(storeKey(), publisher(), rev()))
    expect(() => requireVerified(results, { file: 'hello_3.assert' })).toThrow(InvalidInput)
    expect(() => requireVerified(results, { file: 'hello_3.assert' })).toThrow(
      /^hello_3\.assert: snap-revision \(snap-sha3-384=.*\): needs snap-declaration/,
    )
  })
})
