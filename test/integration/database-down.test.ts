// What each API answers when the database stops answering (here: the embedded database closed
// under a running app; test/e2e/postgres-outage.test.ts stops a real PostgreSQL). Reads of what is
// in memory are served; what is not is a 503 with Retry-After in the API's own envelope; admin
// requests are 503 with a message saying nothing was changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCharmExport } from '../support/charm-builder.js'
import { createTestApp, type TestApp } from '../support/test-app.js'
import { isDatabaseUnavailable } from '../../src/storage/db/unavailable.js'
import { assertionReader } from '../../src/storage/db/assertions.repo.js'
import { SAMPLE_SNAPS, seededApp, snapIdOf, type SeededApp } from '../support/snap-store-fixtures.js'

describe('with the database down', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp('pglite')
    const one = await t.push(
      '/admin/v1/charms',
      'a.tar.gz',
      await buildCharmExport({ charms: [{ name: 'redis', revision: 1, metadataJson: false }] }),
    )
    expect(one.status).toBe(200)
    const two = await t.push(
      '/admin/v1/charms',
      'b.tar.gz',
      await buildCharmExport({ charms: [{ name: 'valkey', revision: 1, metadataJson: false }] }),
    )
    expect(two.status).toBe(200)
    expect((await t.app.inject({ url: '/v2/charms/info/redis' })).statusCode).toBe(200) // texts now cached
    await t.database.close()
  })
  afterAll(async () => {
    await t?.app.close()
  })

  it('serves what is in memory', async () => {
    const info = await t.app.inject({ url: '/v2/charms/info/redis?fields=result.summary' })
    expect(info.statusCode).toBe(200)
    expect((await t.app.inject({ url: '/v2/charms/find?q=valkey' })).statusCode).toBe(200)
  })

  it('answers 503 + Retry-After, as Charmhub JSON, for texts not in memory', async () => {
    const res = await t.app.inject({ url: '/v2/charms/info/valkey' })
    expect(res.statusCode).toBe(503)
    expect(res.headers['retry-after']).toBe('5')
    expect(res.headers['content-type']).toBe('application/json')
    expect(res.json()).toEqual({ 'error-list': [{ code: 'service-unavailable', message: expect.stringMatching(/not answering/) }] })
  })

  it('refuses admin writes and reads with 503 + Retry-After', async () => {
    const push = await t.push(
      '/admin/v1/charms',
      'c.tar.gz',
      await buildCharmExport({ charms: [{ name: 'redis', revision: 2, metadataJson: false }] }),
    )
    // The embedded database is not pinged first: the import finds it gone (PostgreSQL is checked
    // before the upload is read: test/e2e/postgres-outage.test.ts).
    expect(push).toEqual({
      status: 503,
      body: {
        error: {
          code: 'unavailable',
          message: expect.stringMatching(/database stopped answering during the request; .*pushing the same files again is safe/),
        },
      },
    })
    const list = await t.app.inject({ url: '/admin/v1/charms', headers: { authorization: `Bearer ${t.token}` } })
    expect(list.statusCode).toBe(503)
    expect(list.headers['retry-after']).toBe('5')
  })
})

describe('Snap Store API with the database down', () => {
  let t: SeededApp
  let expired: ReturnType<typeof assertionReader>
  const declaration = (name: string) => `/v2/assertions/snap-declaration/16/${snapIdOf(name)}`
  beforeAll(async () => {
    t = await seededApp(SAMPLE_SNAPS)
    expect((await t.app.inject({ url: declaration('hello') })).statusCode).toBe(200) // read once: kept
    expired = assertionReader(t.database.db, { ttlMs: 0 }) // every entry past its time at once
    expect(await expired.assertion('snap-declaration', `16/${snapIdOf('hello')}`)).toBeDefined()
    expect(await expired.ofType('snap-declaration')).not.toEqual([])
    await t.database.close()
  })
  afterAll(async () => {
    await t?.app.close()
  })

  it('serves an assertion read before, however old, and answers 503 + Retry-After for one never read', async () => {
    expect((await t.app.inject({ url: declaration('hello') })).statusCode).toBe(200)
    const other = SAMPLE_SNAPS.find((s) => s.name !== 'hello')!.name
    const res = await t.app.inject({ url: declaration(other) })
    expect(res.statusCode).toBe(503)
    expect(res.headers['retry-after']).toBe('5')
    expect(res.headers['content-type']).toBe('application/json')
    expect(res.json()['error-list'][0].code).toBe('service-unavailable')
  })

  it('serves a cached assertion past its time while the database is down', async () => {
    expect((await expired.assertion('snap-declaration', `16/${snapIdOf('hello')}`))?.type).toBe('snap-declaration')
    expect((await expired.ofType('snap-declaration')).length).toBeGreaterThan(0)
    await expect(expired.ofType('store')).rejects.toThrow(/not answering/)
  })
})

describe('isDatabaseUnavailable', () => {
  it.each([
    ['refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['admin shutdown', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['connection failure class', Object.assign(new Error('x'), { code: '08006' })],
    ['pg terminated', new Error('Connection terminated unexpectedly')],
    ['pool timeout', new Error('timeout exceeded when trying to connect')],
    ['every address refused', new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' })])],
    ['wrapped', new Error('outer', { cause: Object.assign(new Error('inner'), { code: 'ECONNRESET' }) })],
  ])('%s: unavailable', (_name, err) => expect(isDatabaseUnavailable(err)).toBe(true))

  it.each([
    ['unique violation', Object.assign(new Error('duplicate key'), { code: '23505' })],
    ['syntax', Object.assign(new Error('syntax error'), { code: '42601' })],
    ['plain', new Error('no such package')],
  ])('%s: not unavailable', (_name, err) => expect(isDatabaseUnavailable(err)).toBe(false))
})
