// Trusted roots read from files: several assertions per file, what the start-up log says about them,
// and refusals that name the account or account-key to add and where.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseAssertions } from '../../src/assertions/parse.js'
import { verifyAssertions } from '../../src/assertions/verify.js'
import { canonicalRoots } from '../../src/assertions/canonical-root.js'
import { describeRoots, loadTrustedRoots, trustedRoots } from '../../src/assertions/roots.js'
import {
  account,
  accountKey,
  fixture,
  generateSigningKey,
  snapDeclaration,
  TEST_ROOT_KEY_ID,
  testRootAssertions,
  testRootKey,
} from '../support/assertion-signer.js'

const testRoots = () => trustedRoots([...canonicalRoots(), ...parseAssertions(testRootAssertions())])

async function withFile<T>(bytes: Buffer, fn: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-roots-unit-'))
  try {
    const file = join(dir, 'roots.assert')
    await writeFile(file, bytes)
    return await fn(file)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

describe('trusted-assertions files', () => {
  it('read an account and its account-key from one stream, in either order', async () => {
    for (const parts of [
      ['testrootorg.account', 'test-root.account-key'],
      ['test-root.account-key', 'testrootorg.account'],
    ]) {
      const bytes = Buffer.concat(parts.flatMap((p) => [fixture(p), Buffer.from('\n')]))
      const roots = await withFile(bytes, (file) => loadTrustedRoots([file]))
      const { accounts, keys } = describeRoots(roots)
      expect(accounts.sort()).toEqual(['canonical', 'testrootorg'])
      expect(keys).toContainEqual(expect.objectContaining({ id: TEST_ROOT_KEY_ID, account: 'testrootorg' }))
      expect(keys.find((k) => k.account === 'canonical')).toBeDefined()
    }
  })

  it('name the file when one of its assertions is no root', async () => {
    const bytes = Buffer.concat([fixture('testrootorg.account'), Buffer.from('\n'), fixture('developer1-20-signed.model')])
    await withFile(bytes, (file) =>
      expect(loadTrustedRoots([file])).rejects.toThrow(
        /roots\.assert: trusted model .*only account and account-key assertions can be trusted roots/,
      ),
    )
  })
})

describe('a chain that misses an account or account-key', () => {
  it('says which assertion to add, how to get it, and where', async () => {
    const withTest = await withFile(testRootAssertions(), (f) => loadTrustedRoots([f]))
    const decl = snapDeclaration({ key: testRootKey(), snapId: 'a'.repeat(32), snapName: 'x', publisherId: 'pub1' })
    const r = verifyAssertions(parseAssertions(decl), { roots: withTest, now: null })[0]!
    expect(r.ok).toBe(false)
    expect(!r.ok && r.message).toMatch(
      /needs account \(account-id=pub1\) \(the publisher\), which is neither uploaded nor trusted; add that account assertion \(`snap known --remote account account-id=pub1` on a connected machine prints it\) to the upload or, if it is a root this site trusts, to a file given to --trusted-assertions/,
    )

    // Canonical's root only: the test root's key is unknown, and the message names it.
    const pub = account({ key: testRootKey(), accountId: 'pub1' })
    const u = verifyAssertions([...parseAssertions(decl), ...parseAssertions(pub)], { roots: await loadTrustedRoots([]), now: null })[0]!
    expect(!u.ok && u.message).toContain(`no account-key ${TEST_ROOT_KEY_ID}`)
    expect(!u.ok && u.message).toContain(`snap known --remote account-key public-key-sha3-384=${TEST_ROOT_KEY_ID}`)
  })

  it('says how to trust an authority that is not directly trusted', () => {
    const key = generateSigningKey()
    const own = accountKey({ key: testRootKey(), certified: key, accountId: 'pub1', name: 'default' })
    const decl = snapDeclaration({ key, authorityId: 'pub1', snapId: 'b'.repeat(32), snapName: 'y', publisherId: 'pub1' })
    const pub = account({ key: testRootKey(), accountId: 'pub1' })
    const results = verifyAssertions([...parseAssertions(decl), ...parseAssertions(own), ...parseAssertions(pub)], {
      roots: testRoots(),
      now: null,
    })
    expect(!results[0]!.ok && results[0]!.message).toMatch(
      /not signed by a directly trusted authority: "pub1" \(to trust it, pass its account assertion account-id=pub1 and its account-key to --trusted-assertions\)/,
    )
  })
})
