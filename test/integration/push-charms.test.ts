// Importing charm exports through the admin API, on PGlite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/test-app.js'
import { buildCharmExport } from '../support/charm-builder.js'
import { dialects } from '../support/dialects.js'

const OCI = {
  ImageName: 'registry.jujucharms.com/charm/kotcfrohea62xreenq1q75n1lyspke0qkurhk/postgresql-image@sha256:' + 'a'.repeat(64),
  Username: 'docker-registry',
  Password: 'secret',
}

describe.each(dialects)('%s: push-charms', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp(dialect)
  })
  afterAll(async () => {
    await t?.close()
  })

  it('imports a Kubernetes charm with file and oci-image resources', async () => {
    const data = await buildCharmExport({
      charms: [
        {
          name: 'postgresql-k8s',
          revision: 20,
          bases: ['ubuntu@22.04/amd64'],
          resources: { 'postgresql-image': { type: 'oci-image' }, bin: { type: 'file', filename: 'bin.tgz' } },
          resourceFiles: { 'postgresql-image': { revision: 19, body: OCI }, bin: { revision: 3, body: Buffer.from('binary') } },
        },
      ],
    })
    const res = await t.push('/admin/v1/charms', 'charms-export-20240426T163115.tar.gz', data)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const [r] = res.body.revisions
    expect(r).toMatchObject({ name: 'postgresql-k8s', revision: 20, status: 'imported', released: ['latest/stable'] })
    expect(r.resources).toEqual([
      { name: 'postgresql-image', type: 'oci-image', revision: 19 },
      { name: 'bin', type: 'file', revision: 3 },
    ])
  })

  it('re-pushing the same export is a no-op', async () => {
    const data = await buildCharmExport({ charms: [{ name: 'redis', revision: 4, bases: ['ubuntu@22.04/amd64,arm64'] }] })
    expect((await t.push('/admin/v1/charms', 'a.tar.gz', data)).status).toBe(200)
    const before = await t.dump()
    const again = await t.push('/admin/v1/charms', 'a.tar.gz', data)
    expect(again.status).toBe(200)
    expect(again.body.revisions[0].status).toBe('unchanged')
    expect(await t.dump()).toBe(before)
  })

  it('refuses the same revision with different bytes, changing nothing', async () => {
    const a = await buildCharmExport({ charms: [{ name: 'mysql', revision: 7, metadataJson: false }] })
    expect((await t.push('/admin/v1/charms', 'a.tar.gz', a)).status).toBe(200)
    const before = await t.dump()
    const b = await buildCharmExport({ charms: [{ name: 'mysql', revision: 7, summary: 'changed', metadataJson: false }] })
    const res = await t.push('/admin/v1/charms', 'b.tar.gz', b)
    expect(res.status).toBe(409)
    expect(res.body.error.message).toMatch(/mysql revision 7 is already in the store with different content/)
    expect(await t.dump()).toBe(before)
  })

  it('lists charms', async () => {
    const res = await t.app.inject({ url: '/admin/v1/charms', headers: { authorization: `Bearer ${t.token}` } })
    expect(res.statusCode).toBe(200)
    const names = res.json().packages.map((p: { name: string }) => p.name)
    expect(names).toEqual(['mysql', 'postgresql-k8s', 'redis'])
  })
})
