// The Snap Store's read endpoints besides refresh (docs/protocol/snap-store.md §5, §6, §9): info, find, categories,
// sections, names, assertions (verbatim bytes, max-format, sequences, problem+json 404s), the store
// assertion, and device sessions; raw bodies checked against the schemas, content types exactly.
import { Value } from '@sinclair/typebox/value'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as S from '../../src/snapstore/schemas.js'
import { fixture, signAssertion, testRootKey, testStoreKey, TEST_STORE_KEY_ID } from '../support/assertion-signer.js'
import {
  assertionInput,
  digestOf,
  putAssertions,
  SAMPLE_SNAPS,
  seededApp,
  snapIdOf,
  type SeededApp,
} from '../support/snap-store-fixtures.js'
import { dialects } from '../support/dialects.js'

const HELLO = snapIdOf('hello')

describe.each(dialects)('%s', (dialect) => {
  let t: SeededApp

  const validationSet = (sequence: number) =>
    signAssertion({
      type: 'validation-set',
      key: testStoreKey(),
      headers: {
        'authority-id': 'testrootorg',
        series: '16',
        'account-id': 'testrootorg',
        name: 'base-set',
        sequence: String(sequence),
        snaps: [{ name: 'hello', id: HELLO, presence: 'required' }],
        timestamp: '2024-01-01T00:00:00Z',
      },
    })
  const formatted = signAssertion({
    type: 'snap-declaration',
    key: testStoreKey(),
    headers: {
      'authority-id': 'testrootorg',
      format: '3',
      series: '16',
      'snap-id': 'F'.repeat(32),
      'snap-name': 'fancy',
      'publisher-id': 'developer1',
      timestamp: '2024-01-01T00:00:00Z',
    },
  })

  beforeAll(async () => {
    t = await seededApp(
      SAMPLE_SNAPS,
      async (db) => {
        const vs = [1, 2].map((n) => ({ ...assertionInput(validationSet(n)), primaryKey: `16/testrootorg/base-set/${n}` }))
        await putAssertions(db, [formatted, ...vs])
      },
      dialect,
    )
  })
  afterAll(async () => {
    await t?.close()
  })

  async function get(url: string, headers: Record<string, string> = {}) {
    const res = await t.app.inject({ url, headers })
    return { res, status: res.statusCode, type: res.headers['content-type'], body: res.body }
  }

  const checked = (schema: Parameters<typeof Value.Errors>[0], body: string) => {
    const json = JSON.parse(body)
    expect([...Value.Errors(schema, json)].map((e) => `${e.path}: ${e.message}`)).toEqual([])
    return json
  }

  describe('GET /v2/snaps/info/{name}', () => {
    it('lists the channel map for the architecture, default channel first', async () => {
      const { status, type, body } = await get(
        '/v2/snaps/info/hello?architecture=amd64&fields=architectures,base,confinement,download,epoch,name,publisher,revision,snap-id,summary,title,type,version',
      )
      expect(status).toBe(200)
      expect(type).toBe('application/json')
      const json = checked(S.InfoResponse, body)
      expect(json).toMatchObject({
        name: 'hello',
        'snap-id': HELLO,
        snap: { name: 'hello', 'snap-id': HELLO, summary: 'hello summary', publisher: { id: 'developer1' } },
      })
      expect(json['channel-map'].map((e: any) => `${e.channel.name}:${e.revision}:${e.channel.architecture}`)).toEqual([
        'stable:1:amd64',
        'edge:2:amd64',
        '2.0/stable:3:amd64',
      ])
      expect(json['channel-map'][0].channel).toMatchObject({ track: 'latest', risk: 'stable' })
      expect(json['channel-map'][0]).not.toHaveProperty('snap-yaml')
    })

    it('filters by architecture (query or Snap-Device-Architecture) and projects fields', async () => {
      const { body } = await get('/v2/snaps/info/multi?fields=download', { 'snap-device-architecture': 'arm64' })
      const json = checked(S.InfoResponse, body)
      expect(json['channel-map']).toHaveLength(1)
      expect(Object.keys(json['channel-map'][0]).sort()).toEqual(['channel', 'download'])
      expect(json['channel-map'][0].download.url).toMatch(new RegExp(`${snapIdOf('multi')}_11\\.snap$`))
    })

    it('answers 404 for unknown snaps and for nothing on this architecture', async () => {
      for (const url of ['/v2/snaps/info/nope?architecture=amd64', '/v2/snaps/info/multi?architecture=s390x']) {
        const { status, type, body } = await get(url)
        expect(status).toBe(404)
        expect(type).toBe('application/json')
        checked(S.ErrorList, body)
      }
    })
  })

  describe('GET /v2/snaps/find and catalog endpoints', () => {
    const FIND_FIELDS =
      'base,confinement,links,contact,description,download,license,prices,private,publisher,revision,summary,title,type,version,website,store-url,media,common-ids,categories,channel'
    const find = async (query: string) => {
      const { status, type, body } = await get(`/v2/snaps/find?fields=${FIND_FIELDS}&architecture=amd64&${query}`)
      expect(status).toBe(200)
      expect(type).toBe('application/json')
      return checked(S.FindResponse, body).results as any[]
    }

    it('finds by text, name prefix, category, common-id and confinement', async () => {
      const hello = await find('q=hello&confinement=strict,classic')
      expect(hello.map((r) => r.name)).toEqual(['hello'])
      expect(hello[0]).toMatchObject({
        'snap-id': HELLO,
        revision: { revision: 1, version: '1.0', channel: 'stable', type: 'app', confinement: 'strict' },
        snap: { summary: 'hello summary' },
      })
      expect((await find('name=mul')).map((r) => r.name)).toEqual(['multi'])
      expect((await find('category=development&confinement=strict,classic')).map((r) => r.name)).toEqual(['classy'])
      expect((await find('category=featured&confinement=strict,classic')).map((r) => r.name)).toEqual(['classy'])
      expect((await find('common-id=org.example.Classy&confinement=strict,classic')).map((r) => r.name)).toEqual(['classy'])
      expect((await find('q=snap&confinement=strict')).map((r) => r.name)).toEqual(['hello', 'multi'])
      expect(await find('q=nothing-like-it')).toEqual([])
      expect(await find('q=hello&private=true')).toEqual([])
    })

    it('lists categories (application/json) and sections (application/hal+json) exactly', async () => {
      const c = await get('/v2/snaps/categories')
      expect(c.type).toBe('application/json')
      expect(checked(S.CategoriesResponse, c.body)).toEqual({ categories: [{ name: 'development' }] })
      const s = await get('/api/v1/snaps/sections')
      expect(s.type).toBe('application/hal+json')
      expect(checked(S.SectionsResponse, s.body)).toEqual({ _embedded: { 'clickindex:sections': [{ name: 'development' }] } })
    })

    it('writes the names catalog snapd decodes token by token', async () => {
      const strict = await get('/api/v1/snaps/names?confinement=strict', { 'x-ubuntu-architecture': 'amd64' })
      expect(strict.body.startsWith('{"_embedded":{"clickindex:package":[')).toBe(true)
      const items = checked(S.NamesResponse, strict.body)._embedded['clickindex:package']
      expect(items.map((i: any) => i.package_name)).toEqual(['hello', 'multi'])
      expect(items[0]).toEqual({
        package_name: 'hello',
        version: '1.0',
        summary: 'hello summary',
        aliases: [{ name: 'hi', target: 'hello' }],
        apps: ['hello', 'hello-sh'],
      })
      const all = await get('/api/v1/snaps/names?confinement=strict,classic')
      expect(JSON.parse(all.body)._embedded['clickindex:package'].map((i: any) => i.package_name)).toEqual(['classy', 'hello', 'multi'])
    })

    it('answers unknown endpoints with a JSON 404', async () => {
      for (const url of ['/v2/snaps/nope', '/api/v1/snaps/nope']) {
        const { status, type, body } = await get(url)
        expect(status).toBe(404)
        expect(type).toBe('application/json')
        checked(S.ErrorList, body)
      }
    })
  })

  describe('GET /v2/assertions', () => {
    const hello1 = () => t.snaps.find((s) => s.spec.name === 'hello')!.revisions[0]!
    const expectAssertion = async (url: string, bytes: Buffer) => {
      const { res, status, type } = await get(url, { accept: 'application/x.ubuntu.assertion' })
      expect(status, res.body).toBe(200)
      expect(type).toBe('application/x.ubuntu.assertion')
      expect(res.rawPayload.equals(bytes)).toBe(true)
    }

    it('serves the chain snap download walks, byte for byte', async () => {
      const [rev, decl] = hello1().assertions
      await expectAssertion(`/v2/assertions/snap-revision/${digestOf(hello1().bytes)}?max-format=0`, rev!)
      await expectAssertion(`/v2/assertions/snap-revision/${digestOf(hello1().bytes)}/global-upload?max-format=0`, rev!)
      await expectAssertion(`/v2/assertions/snap-declaration/16/${HELLO}?max-format=5`, decl!)
      await expectAssertion('/v2/assertions/account/developer1?max-format=0', fixture('developer1.account'))
      await expectAssertion(`/v2/assertions/account-key/${TEST_STORE_KEY_ID}?max-format=1`, fixture('test-store.account-key'))
    })

    it('honours max-format and sequences', async () => {
      await expectAssertion(`/v2/assertions/snap-declaration/16/${'F'.repeat(32)}?max-format=7`, formatted)
      expect((await get(`/v2/assertions/snap-declaration/16/${'F'.repeat(32)}?max-format=2`)).status).toBe(404)
      await expectAssertion('/v2/assertions/validation-set/16/testrootorg/base-set?sequence=latest&max-format=0', validationSet(2))
      await expectAssertion('/v2/assertions/validation-set/16/testrootorg/base-set?sequence=1', validationSet(1))
      await expectAssertion('/v2/assertions/validation-set/16/testrootorg/base-set/1', validationSet(1))
    })

    it('answers not-found as 404 application/problem+json with a not-found error-list', async () => {
      for (const url of [
        `/v2/assertions/snap-revision/${'A'.repeat(64)}`,
        '/v2/assertions/account/nobody',
        '/v2/assertions/snap-declaration/16',
        '/v2/assertions/no-such-type/x',
        `/v2/assertions/snap-revision/${digestOf(hello1().bytes)}/other-provenance`,
        '/v2/assertions/validation-set/16/testrootorg/base-set?sequence=9',
      ]) {
        const { status, type, body } = await get(url)
        expect(status, url).toBe(404)
        expect(type).toBe('application/problem+json')
        expect(JSON.parse(body)['error-list'][0].code).toBe('not-found')
      }
    })
  })

  describe('fetch-assertions', () => {
    const ref = (extra: Record<string, unknown> = {}) => ({ type: 'snap-declaration', 'primary-key': ['16', HELLO], ...extra })
    async function fetchAssertions(assertions: unknown[], maxFormats: Record<string, number> = { 'snap-declaration': 5 }) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v2/snaps/refresh',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({
          context: [],
          actions: [{ action: 'fetch-assertions', key: 'g1', assertions }],
          'assertion-max-formats': maxFormats,
        }),
      })
      expect(res.statusCode).toBe(200)
      return checked(S.RefreshResponse, res.body).results[0]
    }

    it('returns absolute stream URLs that serve the assertion', async () => {
      const r = await fetchAssertions([ref()])
      expect(r).toEqual({
        result: 'fetch-assertions',
        key: 'g1',
        'assertion-stream-urls': [`http://127.0.0.1:8080/v2/assertions/snap-declaration/16/${HELLO}`],
      })
      const { body } = await get(new URL(r['assertion-stream-urls'][0]).pathname)
      expect(body).toBe(t.snaps[0]!.revisions[0]!.assertions[1]!.toString())
    })

    it('never reports not-found for update requests (if-newer-than); does for plain ones', async () => {
      expect(
        await fetchAssertions([
          ref({ 'if-newer-than': 0 }),
          { type: 'snap-declaration', 'primary-key': ['16', 'Z'.repeat(32)], 'if-newer-than': 2 },
        ]),
      ).toEqual({ result: 'fetch-assertions', key: 'g1', 'assertion-stream-urls': [] })
      const F = 'F'.repeat(32)
      const missing = await fetchAssertions([
        { type: 'snap-declaration', 'primary-key': ['16', 'Z'.repeat(32)] },
        { type: 'snap-declaration', 'primary-key': ['16', F] },
      ])
      expect(missing['error-list']).toEqual([
        { code: 'not-found', message: expect.any(String), type: 'snap-declaration', 'primary-key': ['16', 'Z'.repeat(32)] },
      ])
      expect(missing['assertion-stream-urls']).toEqual([`http://127.0.0.1:8080/v2/assertions/snap-declaration/16/${F}`]) // format 3 <= 5
      // A format newer than the client's assertion-max-formats is, for that client, not there.
      const tooNew = await fetchAssertions([{ type: 'snap-declaration', 'primary-key': ['16', F] }], { 'snap-declaration': 2 })
      expect(tooNew['error-list']).toHaveLength(1)
    })

    it('answers alongside snap actions, in order, the same bytes whether the snaps were cached or not', async () => {
      const payload = JSON.stringify({
        context: [],
        actions: [
          { action: 'install', 'instance-key': 'i "1"', name: 'hello', channel: 'stable', epoch: null },
          { action: 'install', 'instance-key': 'i2', name: 'nope', epoch: null },
          { action: 'fetch-assertions', key: 'g1', assertions: [ref()] },
          { action: 'download', 'instance-key': 'i3', name: 'hello', epoch: null },
        ],
        'assertion-max-formats': { 'snap-declaration': 5 },
      })
      const ask = () => t.app.inject({ method: 'POST', url: '/v2/snaps/refresh', headers: { 'content-type': 'application/json' }, payload })
      const first = await ask()
      const second = await ask()
      expect(second.body).toBe(first.body)
      const { results } = checked(S.RefreshResponse, first.body)
      expect(results.map((r: any) => r['instance-key'] ?? r.key)).toEqual(['i "1"', 'i2', 'i3', 'g1'])
      // Compact JSON exactly as JSON.stringify writes it, key order included.
      expect(first.body).toBe(JSON.stringify(JSON.parse(first.body)))
      expect(Object.keys(JSON.parse(first.body))).toEqual(['results', 'error-list'])
    })

    it('resolves validation-set sequences', async () => {
      const vs = (extra: Record<string, unknown>) => ({
        type: 'validation-set',
        'sequence-key': ['16', 'testrootorg', 'base-set'],
        ...extra,
      })
      expect((await fetchAssertions([vs({})]))['assertion-stream-urls']).toEqual([
        'http://127.0.0.1:8080/v2/assertions/validation-set/16/testrootorg/base-set/2',
      ])
      expect((await fetchAssertions([vs({ sequence: 1 })]))['assertion-stream-urls'][0]).toMatch(/base-set\/1$/)
      expect((await fetchAssertions([vs({ 'if-sequence-equal-or-newer-than': 2, 'if-newer-than': 0 })]))['assertion-stream-urls']).toEqual(
        [],
      )
      expect(
        (await fetchAssertions([vs({ 'if-sequence-equal-or-newer-than': 1, 'if-newer-than': 0 })]))['assertion-stream-urls'],
      ).toHaveLength(1)
    })
  })

  describe('store assertion and device sessions', () => {
    it('404s without a store assertion, then serves it with its operator account for snap ack', async () => {
      const none = await get('/v2/auth/store/assertions')
      expect(none.status).toBe(404)
      expect(none.type).toBe('application/problem+json')
      const store = signAssertion({
        type: 'store',
        key: testRootKey(),
        headers: {
          'authority-id': 'testrootorg',
          store: 'airlock-test',
          'operator-id': 'developer1',
          url: 'http://127.0.0.1:8080',
          timestamp: '2024-01-01T00:00:00Z',
        },
      })
      await putAssertions(t.database.db, [store])
      const { status, type, res } = await get('/v2/auth/store/assertions')
      expect(status).toBe(200)
      expect(type).toBe('application/x.ubuntu.assertion')
      // The operator's account and the signing key ride along (the fixture files end in "\n"; the stream adds one blank line).
      const nl = Buffer.from('\n')
      expect(res.rawPayload.equals(Buffer.concat([fixture('developer1.account'), nl, fixture('test-root.account-key'), nl, store]))).toBe(
        true,
      )
    })

    it('hands out a nonce and a session macaroon', async () => {
      const nonce = await t.app.inject({
        method: 'POST',
        url: '/api/v1/snaps/auth/nonces',
        headers: { accept: 'application/json', 'content-type': 'application/json' },
      })
      expect(nonce.statusCode).toBe(200)
      expect(nonce.headers['content-type']).toBe('application/json')
      checked(S.NonceResponse, nonce.body)
      const session = await t.app.inject({
        method: 'POST',
        url: '/api/v1/snaps/auth/sessions',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ 'device-session-request': 'x', 'serial-assertion': 'y', 'model-assertion': 'z' }),
      })
      expect(session.statusCode).toBe(200)
      checked(S.SessionResponse, session.body)
    })
  })
})
