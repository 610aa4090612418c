// push-charm-bundle and bundle deploys through the Charmhub API, on PGlite and PostgreSQL.
import { createHash } from 'node:crypto'
import { Value } from '@sinclair/typebox/value'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import yauzl from 'yauzl'
import { createTestApp, type TestApp } from '../support/test-app.js'
import { buildBundleExport } from '../support/bundle-builder.js'
import * as S from '../../src/charmhub/schemas.js'
import { installByChannel, installByRevision, JUJU_HEADERS } from '../support/juju-requests.js'
import { dialects } from '../support/dialects.js'

const cosLite = {
  name: 'cos-lite',
  applications: { prom: { charm: 'prometheus-k8s', channel: 'latest/edge' }, graf: { charm: 'grafana-k8s', channel: 'stable' } },
  charms: [
    { name: 'prometheus-k8s', revision: 100, metadataJson: false as const },
    { name: 'grafana-k8s', revision: 60, metadataJson: false as const },
  ],
}

function zipEntries(buf: Buffer): Promise<string[]> {
  return new Promise((resolve, reject) =>
    yauzl.fromBuffer(buf, {}, (err, zip) => {
      if (err) return reject(err)
      const names: string[] = []
      zip
        .on('entry', (e) => names.push(e.fileName))
        .on('end', () => resolve(names.sort()))
        .on('error', reject)
    }),
  )
}

describe.each(dialects)('%s: bundles', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp(dialect)
  })
  afterAll(async () => {
    await t?.close()
  })

  it('imports a bundle export with only bundle.yaml, builds the archive, resolves as Juju does', async () => {
    const res = await t.push('/admin/v1/bundles', 'cos-lite-20240426T143758.tar.gz', await buildBundleExport(cosLite))
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.revisions.map((r: any) => `${r.type}:${r.name}:${r.revision}:${r.status}`)).toEqual([
      'charm:prometheus-k8s:100:imported',
      'charm:grafana-k8s:60:imported',
      'bundle:cos-lite:1:imported',
    ])
    expect(res.body.revisions[0].released).toEqual(['latest/edge']) // the bundle's own channel for its charm

    for (const v of ['3.6', '4.0'] as const) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/v2/charms/refresh',
        headers: JUJU_HEADERS(v),
        payload: JSON.stringify(installByChannel(v, 'cos-lite', 'stable', { name: 'NA', channel: 'NA', architecture: 'amd64' })),
      })
      const json = JSON.parse(r.body)
      expect([...Value.Errors(S.RefreshResponse, json)]).toEqual([])
      const e = json.results[0]
      expect(e.charm.type).toBe('bundle')
      const byRev = JSON.parse(
        (await t.app.inject({ method: 'POST', url: '/v2/charms/refresh', payload: installByRevision(v, 'cos-lite', e.charm.revision) }))
          .body,
      )
      const dl = byRev.results[0].charm.download
      const body = (await t.app.inject({ url: new URL(dl.url).pathname })).rawPayload
      expect(createHash('sha256').update(body).digest('hex')).toBe(dl['hash-sha-256'])
      expect(await zipEntries(body)).toEqual(['README.md', 'bundle.yaml'])
      // Every component resolves at the channel the bundle asks for.
      for (const [, app] of Object.entries(cosLite.applications)) {
        const c = JSON.parse(
          (
            await t.app.inject({
              method: 'POST',
              url: '/v2/charms/refresh',
              payload: installByChannel(v, app.charm, app.channel, { name: 'ubuntu', channel: '22.04', architecture: 'amd64' }),
            })
          ).body,
        )
        expect(c.results[0].error).toBeUndefined()
      }
    }
  })

  it('re-pushing the same bundle export changes nothing', async () => {
    const before = await t.dump()
    const res = await t.push('/admin/v1/bundles', 'cos-lite-20240426T143758.tar.gz', await buildBundleExport(cosLite))
    expect(res.status).toBe(200)
    expect(res.body.revisions.map((r: any) => r.status)).toEqual(['unchanged', 'unchanged', 'unchanged'])
    expect(await t.dump()).toBe(before)
  })

  it('info lists the bundle charms and bundle.yaml', async () => {
    const res = await t.app.inject({ url: '/v2/charms/info/cos-lite' })
    const json = JSON.parse(res.body)
    expect([...Value.Errors(S.InfoResponse, json)]).toEqual([])
    expect(json.type).toBe('bundle')
    expect(json.result['contains-charms'].map((c: any) => c.name)).toEqual(['prometheus-k8s', 'grafana-k8s'])
    expect(json['default-release'].revision['bundle-yaml']).toMatch(/prometheus-k8s/)
    const find = JSON.parse((await t.app.inject({ url: '/v2/charms/find?type=bundle' })).body)
    expect(find.results.map((r: any) => r.name)).toEqual(['cos-lite'])
  })

  it('keeps a .bundle archive and its revision as exported', async () => {
    const res = await t.push(
      '/admin/v1/bundles',
      'pg-bundle-20241003T104903.tar.gz',
      await buildBundleExport({
        name: 'pg-bundle',
        archiveRevision: 141,
        applications: { db: { charm: 'grafana-k8s' } },
        charms: [],
      }),
    )
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.revisions).toMatchObject([{ type: 'bundle', name: 'pg-bundle', revision: 141 }])
  })

  it.each([
    [
      'a charm neither in the export nor in the store',
      { name: 'b1', applications: { web: { charm: 'nowhere' } }, charms: [] },
      /application "web" needs charm "nowhere", which is neither in this export nor in the store/,
    ],
    [
      'invalid bundle.yaml',
      { name: 'b2', applications: {}, charms: [], bundleYamlText: 'applications: [unclosed' },
      /bundle\.yaml: invalid YAML/,
    ],
    [
      'no bundle.yaml at all',
      { name: 'b3', applications: {}, charms: [{ name: 'loki-k8s', revision: 1, metadataJson: false }], bundleYamlText: null },
      /not a bundle export: no bundle\.yaml/,
    ],
    ['no applications', { name: 'b4', applications: {}, charms: [], bundleYamlText: 'description: x\n' }, /names no applications/],
    [
      'a .bundle without README.md',
      { name: 'b5', archiveRevision: 1, noReadme: true, applications: { a: { charm: 'grafana-k8s' } }, charms: [] },
      /b5_1\.bundle: not a bundle: README\.md is missing/,
    ],
    [
      'a broken component charm',
      {
        name: 'b6',
        applications: { a: { charm: 'tempo-k8s' } },
        charms: [{ name: 'tempo-k8s', revision: 3, metadataJson: false, files: { 'metadata.yaml': null } }],
      },
      /tempo-k8s_3\.charm: not a charm: metadata\.yaml is missing/,
    ],
    [
      'an unsafe member',
      { name: 'b7', applications: { a: { charm: 'grafana-k8s' } }, charms: [], extraMembers: [{ name: '../escape', data: 'x' }] },
      /\.\.\/escape: member path contains "\.\."/,
    ],
  ])('refuses %s, changing nothing', async (_n, spec, message) => {
    const before = await t.dump()
    const res = await t.push('/admin/v1/bundles', `${spec.name}-20240101T000000.tar.gz`, await buildBundleExport(spec as any))
    expect(res.status).toBeGreaterThanOrEqual(400)
    expect(res.body.error.message).toMatch(message)
    expect(res.body.error.message).toContain(`${spec.name}-20240101T000000.tar.gz`)
    expect(await t.dump()).toBe(before)
  })

  it('lists bundles', async () => {
    const res = await t.app.inject({ url: '/admin/v1/bundles', headers: { authorization: `Bearer ${t.token}` } })
    expect(res.json().packages.map((p: any) => p.name)).toEqual(['cos-lite', 'pg-bundle'])
  })
})
