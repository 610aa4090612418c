// The Charmhub API as Juju 3.6 and 4.0 call it: raw bodies checked against the Go-struct shapes
// (no coercion), exact content types, and hashes over the bytes actually served.
import { createHash } from 'node:crypto'
import { Value } from '@sinclair/typebox/value'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/test-app.js'
import { buildCharmExport } from '../support/charm-builder.js'
import * as S from '../../src/charmhub/schemas.js'
import {
  downloadByChannel,
  downloadByRevision,
  installByChannel,
  installByRevision,
  JUJU_HEADERS,
  refreshOne,
  type JujuVersion,
} from '../support/juju-requests.js'

const OCI = {
  ImageName: 'registry.jujucharms.com/charm/kotcfrohea62xreenq1q75n1lyspke0qkurhk/postgresql-image@sha256:' + 'a'.repeat(64),
  Username: 'docker-registry',
  Password: 'pw',
}
const amd64 = (channel = '22.04') => ({ name: 'ubuntu', channel, architecture: 'amd64' })

let t: TestApp
let ids: Record<string, string> = {}

beforeAll(async () => {
  t = await createTestApp('pglite')
  const push = async (spec: Parameters<typeof buildCharmExport>[0]) => {
    const res = await t.push('/admin/v1/charms', 'export.tar.gz', await buildCharmExport(spec))
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    for (const r of res.body.revisions) ids[r.name] = r.id
  }
  // A machine charm with several bases, released to 14/stable (no metadata.json: the YAML decides).
  await push({
    charms: [
      {
        name: 'postgresql',
        revision: 429,
        metadataJson: false,
        bases: ['ubuntu@22.04/amd64', 'ubuntu@20.04/amd64', 'ubuntu@24.04/amd64'],
        resources: { snap: { type: 'file', filename: 'postgresql.snap', description: 'snap' } },
        resourceFiles: { snap: { revision: 3, body: Buffer.from('snap-bytes') } },
      },
    ],
    bundleYaml: { applications: { pg: { charm: 'postgresql', channel: '14/stable' } } },
  })
  // A Kubernetes charm with an oci-image resource.
  await push({
    charms: [
      {
        name: 'postgresql-k8s',
        revision: 20,
        bases: ['ubuntu@22.04/amd64'],
        resources: { 'postgresql-image': { type: 'oci-image', description: 'OCI image' } },
        resourceFiles: { 'postgresql-image': { revision: 19, body: OCI } },
      },
    ],
  })
  // A multi-architecture charm.
  await push({
    charms: [{ name: 'grafana-agent', revision: 7, metadataJson: false, bases: ['ubuntu@22.04/amd64,arm64', 'ubuntu@24.04/arm64'] }],
  })
  ids = { ...ids }
})
afterAll(async () => {
  await t?.close()
})

async function refresh(v: JujuVersion, body: unknown) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v2/charms/refresh',
    headers: JUJU_HEADERS(v),
    payload: JSON.stringify(body) + '\n',
  })
  expect(res.headers['content-type']).toBe('application/json')
  expect(Number(res.headers['content-length'])).toBe(res.rawPayload.length)
  const json = JSON.parse(res.body)
  if (res.statusCode === 200) expect([...Value.Errors(S.RefreshResponse, json)].map((e) => `${e.path}: ${e.message}`)).toEqual([])
  return { status: res.statusCode, json }
}

describe.each(['3.6', '4.0'] as const)('Juju %s refresh', (v) => {
  it('installs by channel and base, echoing the instance key', async () => {
    const req = installByChannel(v, 'postgresql', '14/stable', amd64())
    const { status, json } = await refresh(v, req)
    expect(status).toBe(200)
    const [r] = json.results
    expect(r['instance-key']).toBe(req.actions[0]!['instance-key'])
    expect(r).toMatchObject({ result: 'install', name: 'postgresql', id: ids.postgresql, 'effective-channel': '14/stable' })
    expect(r.charm.revision).toBe(429)
    expect(r.charm['metadata-yaml']).toMatch(/^name: postgresql/m)
    expect(r.charm.bases).toEqual([amd64('24.04'), amd64('22.04'), amd64('20.04')])
    expect(r.charm.resources.map((x: { name: string; revision: number }) => `${x.name}:${x.revision}`)).toEqual(['snap:3'])
    if (v === '4.0') expect(typeof r.charm['actions-yaml']).toBe('string')
  })

  it('serves the bytes the refresh answer describes (sha256, sha384, size)', async () => {
    const { json } = await refresh(v, installByChannel(v, 'postgresql', '14/stable', amd64()))
    const charm = json.results[0].charm
    for (const d of [charm.download, charm.resources[0].download]) {
      const res = await t.app.inject({ url: new URL(d.url).pathname, headers: { 'accept-encoding': 'gzip' } })
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-encoding']).toBeUndefined()
      expect(Number(res.headers['content-length'])).toBe(d.size)
      expect(res.rawPayload.length).toBe(d.size)
      expect(createHash('sha256').update(res.rawPayload).digest('hex')).toBe(d['hash-sha-256'])
      expect(createHash('sha384').update(res.rawPayload).digest('hex')).toBe(d['hash-sha-384'])
      const head = await t.app.inject({ method: 'HEAD', url: new URL(d.url).pathname })
      expect(head.statusCode).toBe(200)
      expect(Number(head.headers['content-length'])).toBe(d.size)
    }
  })

  it('answers revision-not-found with Juju-normalised releases for a base it lacks', async () => {
    const { json } = await refresh(v, installByChannel(v, 'postgresql', '14/stable', amd64('18.04')))
    const r = json.results[0]
    expect(r).toMatchObject({ result: 'error', charm: null, 'released-at': null, id: ids.postgresql })
    expect(r.error.code).toBe('revision-not-found')
    expect(r.error.extra.releases).toEqual([
      { base: amd64('24.04'), channel: '14/stable' },
      { base: amd64('22.04'), channel: '14/stable' },
      { base: amd64('20.04'), channel: '14/stable' },
    ])
  })

  it('answers invalid-charm-base with default bases, newest LTS first, for the NA base', async () => {
    const { json } = await refresh(v, installByChannel(v, 'postgresql', '14/stable', { name: 'NA', channel: 'NA', architecture: 'amd64' }))
    expect(json.results[0].error.code).toBe('invalid-charm-base')
    expect(json.results[0].error.extra['default-bases']).toEqual([amd64('24.04'), amd64('22.04'), amd64('20.04')])
  })

  it('offers a multi-architecture charm on arm64 only the bases that exist for arm64', async () => {
    const arm = { name: 'NA', channel: 'NA', architecture: 'arm64' }
    const na = await refresh(v, installByChannel(v, 'grafana-agent', 'stable', arm))
    expect(na.json.results[0].error.extra['default-bases']).toEqual([
      { ...arm, name: 'ubuntu', channel: '24.04' },
      { ...arm, name: 'ubuntu', channel: '22.04' },
    ])
    const ok = await refresh(v, installByChannel(v, 'grafana-agent', 'stable', { name: 'ubuntu', channel: '22.04', architecture: 'arm64' }))
    expect(ok.json.results[0].charm.bases).toEqual([
      { name: 'ubuntu', channel: '24.04', architecture: 'arm64' },
      { name: 'ubuntu', channel: '22.04', architecture: 'arm64' },
    ])
    const amd = await refresh(v, installByChannel(v, 'grafana-agent', 'stable', amd64()))
    expect(amd.json.results[0].charm.bases).toEqual([amd64('22.04')])
  })

  it('falls back to a more stable risk and reports the effective channel', async () => {
    const { json } = await refresh(v, installByChannel(v, 'postgresql', '14/edge', amd64()))
    expect(json.results[0]['effective-channel']).toBe('14/stable')
    expect(json.results[0].charm.revision).toBe(429)
  })

  it('installs by revision with base null', async () => {
    const { json } = await refresh(v, installByRevision(v, 'postgresql-k8s', 20))
    expect(json.results[0].charm).toMatchObject({ revision: 20, name: 'postgresql-k8s' })
    const missing = await refresh(v, installByRevision(v, 'postgresql-k8s', 99))
    expect(missing.json.results[0].error.code).toBe('revision-not-found')
  })

  it('downloads by id and revision with resource-revisions', async () => {
    const { json } = await refresh(v, downloadByRevision(v, ids['postgresql-k8s']!, 20, [{ name: 'postgresql-image', revision: 19 }]))
    const res = json.results[0].charm.resources
    expect(res).toHaveLength(1)
    expect(res[0]).toMatchObject({ name: 'postgresql-image', type: 'oci-image', revision: 19 })
    const blob = await t.app.inject({ url: new URL(res[0].download.url).pathname })
    expect(JSON.parse(blob.body).ImageName).toBe(OCI.ImageName)
    const bad = await refresh(v, downloadByRevision(v, ids['postgresql-k8s']!, 20, [{ name: 'postgresql-image', revision: 5 }]))
    expect(bad.json.results[0].error.code).toBe('resource-not-found')
  })

  it('downloads by id and channel (resource listing)', async () => {
    const { json } = await refresh(v, downloadByChannel(v, ids.postgresql!, 'latest/stable', amd64()))
    expect(json.results[0].error.code).toBe('revision-not-found') // released to 14/stable only
    const ok = await refresh(v, downloadByChannel(v, ids.postgresql!, '14/stable', amd64()))
    expect(ok.json.results[0].result).toBe('download')
  })

  it('answers the refresh action from the context, with metrics accepted', async () => {
    const req = refreshOne(v, ids.postgresql!, 429, '14/stable', amd64())
    const { json } = await refresh(v, req)
    expect(json.results[0]).toMatchObject({ result: 'refresh', 'instance-key': req.context[0]!['instance-key'] })
    expect(json.results[0].charm.revision).toBe(429)
  })

  it('answers unknown names and ids per action', async () => {
    const a = await refresh(v, installByChannel(v, 'no-such-charm', 'stable', amd64()))
    expect(a.json.results[0]).toMatchObject({ result: 'error', name: 'no-such-charm', charm: null, error: { code: 'name-not-found' } })
    const b = await refresh(v, downloadByRevision(v, 'x'.repeat(32), 1))
    expect(b.json.results[0].error.code).toBe('id-not-found')
  })
})

describe('refresh edge cases', () => {
  it('reads a __proto__ key as plain data', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v2/charms/refresh',
      headers: JUJU_HEADERS('3.6'),
      payload: '{"__proto__":{"actions":[1]},"context":[],"actions":[]}',
    })
    expect(res.statusCode).toBe(200)
    expect(JSON.parse(res.body)).toEqual({ 'error-list': [], results: [] })
  })
  it('answers a metrics-only ping', async () => {
    const { status, json } = await refresh('3.6', { context: [], actions: [], metrics: { controller: { uuid: 'x' } } })
    expect(status).toBe(200)
    expect(json).toEqual({ 'error-list': [], results: [] })
  })
  it.each([
    ['not JSON', '{"context":'],
    [
      'wrong type',
      JSON.stringify({ context: [], actions: [{ action: 'install', 'instance-key': 'k', name: 'x', revision: 'seven', base: null }] }),
    ],
    ['bad action', JSON.stringify({ context: [], actions: [{ action: 'destroy' }] })],
    ['not an object', '[]'],
    ['empty', ''],
    ['a __proto__ key where actions belong', '{"context":[],"actions":{"__proto__":[]}}'],
  ])('refuses a malformed request (%s) with 400 and an error-list', async (_n, payload) => {
    const res = await t.app.inject({ method: 'POST', url: '/v2/charms/refresh', headers: JUJU_HEADERS('3.6'), payload })
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toBe('application/json')
    expect(Value.Check(S.ErrorListResponse, JSON.parse(res.body))).toBe(true)
  })
})

describe('info, find, resources', () => {
  it('info: one channel-map entry per channel and base, default release, exact types', async () => {
    const res = await t.app.inject({ url: '/v2/charms/info/postgresql', headers: JUJU_HEADERS('3.6') })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('application/json')
    const json = JSON.parse(res.body)
    expect([...Value.Errors(S.InfoResponse, json)].map((e) => `${e.path}: ${e.message}`)).toEqual([])
    expect(json['channel-map'].map((e: any) => `${e.channel.name}@${e.channel.base.channel}`)).toEqual([
      '14/stable@24.04',
      '14/stable@22.04',
      '14/stable@20.04',
    ])
    for (const e of json['channel-map']) expect(e.channel['released-at'].length).toBeGreaterThanOrEqual(10)
    expect(json['default-release'].revision.subordinate).toBe(false)
    expect(json['default-release'].resources.map((r: any) => r.name)).toEqual(['snap'])
  })

  it('info honours fields as python-libjuju sends them', async () => {
    const res = await t.app.inject({ url: '/v2/charms/info/postgresql?fields=default-release.revision.subordinate' })
    expect(JSON.parse(res.body)).toEqual({
      type: 'charm',
      id: ids.postgresql,
      name: 'postgresql',
      'default-release': { revision: { subordinate: false } },
    })
    const cm = JSON.parse(
      (await t.app.inject({ url: '/v2/charms/info/postgresql?fields=channel-map.channel.track%2Cchannel-map.channel.risk' })).body,
    )
    expect(cm['channel-map'][0]).toEqual({ channel: { track: '14', risk: 'stable' } })
  })

  it('info: 404 with exact content type for an unknown name', async () => {
    const res = await t.app.inject({ url: '/v2/charms/info/nope' })
    expect(res.statusCode).toBe(404)
    expect(res.headers['content-type']).toBe('application/json')
    expect(JSON.parse(res.body)).toEqual({ 'error-list': [{ code: 'not-found', message: "No charm or bundle with name 'nope'." }] })
  })

  it('find: matches, no matches, and charm store URLs', async () => {
    const q = async (qs: string) => {
      const res = await t.app.inject({ url: `/v2/charms/find?${qs}` })
      expect(res.headers['content-type']).toBe('application/json')
      const json = JSON.parse(res.body)
      expect([...Value.Errors(S.FindResponse, json)].map((e) => `${e.path}: ${e.message}`)).toEqual([])
      return json.results.map((r: any) => r.name)
    }
    const jujuFields = [
      'result.publisher.display-name',
      'result.summary',
      'result.store-url',
      'default-release.revision.bases.architecture',
      'default-release.revision.bases.name',
      'default-release.revision.bases.channel',
      'default-release.revision.version',
    ].join('%2C')
    expect(await q(`fields=${jujuFields}&q=postgres`)).toEqual(['postgresql', 'postgresql-k8s'])
    expect(await q('q=nothing-like-this')).toEqual([])
    expect(await q('q=cs%3Aubuntu')).toEqual([])
    expect(await q('category=featured')).toHaveLength(3)
  })

  it('resource revisions, newest first; 404 for unknown', async () => {
    const res = await t.app.inject({ url: '/v2/charms/resources/postgresql-k8s/postgresql-image/revisions' })
    const json = JSON.parse(res.body)
    expect(Value.Check(S.ResourceRevisionsResponse, json)).toBe(true)
    expect(json.revisions.map((r: any) => r.revision)).toEqual([19])
    const missing = await t.app.inject({ url: '/v2/charms/resources/postgresql-k8s/nope/revisions' })
    expect(missing.statusCode).toBe(404)
    expect(missing.headers['content-type']).toBe('application/json')
  })

  it('unknown download and API paths answer JSON 404s', async () => {
    for (const url of [
      '/api/v1/charms/download/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx_1.charm',
      '/api/v1/charms/download/../../etc/passwd',
      '/v2/charms/nope',
    ]) {
      const res = await t.app.inject({ url })
      expect(res.statusCode).toBe(404)
      expect(res.headers['content-type']).toBe('application/json')
    }
  })
})

describe('rendered answers are reused, never stale', () => {
  const push = async (revision: number) => {
    // --push-channel-map: a re-push moves latest/stable to the new revision.
    const res = await t.push(
      '/admin/v1/charms?push-channel-map=true',
      'export.tar.gz',
      await buildCharmExport({ charms: [{ name: 'cache-probe', revision, bases: ['ubuntu@22.04/amd64'] }] }),
    )
    expect(res.status, JSON.stringify(res.body)).toBe(200)
  }
  const install = (key: string) => ({
    context: [],
    actions: [{ action: 'install', 'instance-key': key, name: 'cache-probe', channel: 'stable', base: amd64() }],
  })

  it('echoes each request its own instance-key, escaped, from one rendered result', async () => {
    await push(1)
    for (const key of ['first', 'a "quoted" \\ key', 'ключ\u2028', '']) {
      const { status, json } = await refresh('3.6', install(key))
      expect(status).toBe(200)
      expect(json.results[0]['instance-key']).toBe(key)
      expect(json.results[0].charm.revision).toBe(1)
    }
    // Several kept results in one answer: its Content-Length is counted from theirs (checked in refresh()).
    const both = { context: [], actions: [...install('ключ-1').actions, ...install('second').actions] }
    for (let i = 0; i < 2; i++)
      expect((await refresh('3.6', both)).json.results.map((r: any) => r['instance-key'])).toEqual(['ключ-1', 'second'])
  })

  it('answers refresh and info from the new revision after a re-import', async () => {
    const info = async () => JSON.parse((await t.app.inject({ url: '/v2/charms/info/cache-probe' })).body)
    expect((await info())['default-release'].revision.revision).toBe(1)
    await push(2)
    const { json } = await refresh('3.6', install('k'))
    expect(json.results[0].charm.revision).toBe(2)
    expect((await info())['default-release'].revision.revision).toBe(2)
    expect((await info())['channel-map'].map((e: any) => e.revision.revision)).toEqual([2])
  })
})
