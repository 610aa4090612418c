// push-assertions: a site's store assertion (and its operator account) imported through the admin
// API, verified up to a trusted root, then served by GET /v2/auth/store/assertions for `snap ack`.
import { writeFile, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/test-app.js'
import {
  TEST_STORE_KEY_ID,
  fixture,
  generateSigningKey,
  signAssertion,
  testRootAssertions,
  testRootKey,
} from '../support/assertion-signer.js'

let t: TestApp
beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-roots-'))
  const roots = join(dir, 'testroot.assert')
  await writeFile(roots, testRootAssertions())
  t = await createTestApp('pglite', { trustedAssertions: [roots] })
})
afterAll(async () => {
  await t?.close()
})

const storeAssertion = (key = testRootKey()) =>
  signAssertion({
    type: 'store',
    key,
    headers: {
      'authority-id': 'testrootorg',
      store: 'site-store',
      'operator-id': 'developer1',
      url: 'http://airlock.internal:8080',
      timestamp: '2024-01-01T00:00:00Z',
    },
  })

describe('push-assertions', () => {
  it('refuses a store assertion signed by an untrusted key, changing nothing', async () => {
    const before = await t.dump()
    const res = await t.push('/admin/v1/assertions', 'store.assert', storeAssertion(generateSigningKey()))
    expect(res.status).toBe(422)
    expect(res.body.error.message).toMatch(/^store\.assert: store \(store=site-store\): no account-key/)
    expect(await t.dump()).toBe(before)
  })

  it('refuses snap assertions on their own', async () => {
    const decl = signAssertion({
      type: 'snap-declaration',
      key: testRootKey(),
      headers: {
        'authority-id': 'testrootorg',
        series: '16',
        'snap-id': 'a'.repeat(32),
        'snap-name': 'x',
        'publisher-id': 'developer1',
        timestamp: '2024-01-01T00:00:00Z',
      },
    })
    const res = await t.push('/admin/v1/assertions', 'decl.assert', decl)
    expect(res.status).toBe(422)
    expect(res.body.error.message).toMatch(/only store, account and account-key assertions/)
  })

  it('imports the store assertion with its operator account, serves it, and is idempotent', async () => {
    const nl = Buffer.from('\n')
    const bundle = Buffer.concat([fixture('test-store.account-key'), nl, fixture('developer1.account'), nl, storeAssertion()])
    const res = await t.push('/admin/v1/assertions', 'store.assert', bundle)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.assertions).toEqual([
      { type: 'account-key', key: TEST_STORE_KEY_ID, status: 'imported' },
      { type: 'account', key: 'developer1', status: 'imported' },
      { type: 'store', key: 'site-store', status: 'imported' },
    ])
    const served = await t.app.inject({ url: '/v2/auth/store/assertions' })
    expect(served.statusCode).toBe(200)
    expect(served.headers['content-type']).toBe('application/x.ubuntu.assertion')
    expect(served.rawPayload.includes(storeAssertion())).toBe(true)
    const before = await t.dump()
    const again = await t.push('/admin/v1/assertions', 'store.assert', bundle)
    expect(again.body.assertions.map((a: { status: string }) => a.status)).toEqual(['unchanged', 'unchanged', 'unchanged'])
    expect(await t.dump()).toBe(before)
  })
})
