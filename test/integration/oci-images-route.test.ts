// GET /admin/v1/images through app.inject(), on PGlite and PostgreSQL: one entry per distinct
// ImageName with every resource revision that names it, local references from the configured domain.
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config/load.js'
import { loadSigningKey } from '../../src/admin/tokens.js'
import { createLocalBlobStore } from '../../src/storage/blobs/local-store.js'
import { createLogger } from '../../src/log.js'
import { createTestApp, type TestApp } from '../support/test-app.js'
import { buildCharmExport } from '../support/charm-builder.js'
import { dialects } from '../support/dialects.js'

const D1 = 'sha256:' + '1'.repeat(64)
const D2 = 'sha256:' + '2'.repeat(64)
const IMG1 = `registry.jujucharms.com/charm/kotcfrohea62xreenq1q75n1lyspke0qkurhk/pg-image@${D1}`
const IMG2 = `registry.jujucharms.com/charm/zzzz/sidecar:2.1@${D2}`

describe.each(dialects)('%s: GET /admin/v1/images', (dialect) => {
  let t: TestApp
  let withDomain: FastifyInstance
  const get = async (app: FastifyInstance, token?: string) =>
    app.inject({ url: '/admin/v1/images', headers: token ? { authorization: `Bearer ${token}` } : {} })

  beforeAll(async () => {
    t = await createTestApp(dialect)
    const push = async (revision: number, pgRes: number, body: object) => {
      const data = await buildCharmExport({
        charms: [
          {
            name: 'pg-k8s',
            revision,
            metadataJson: false,
            resources: { 'pg-image': { type: 'oci-image' }, sidecar: { type: 'oci-image' }, tools: { type: 'file', filename: 't.tgz' } },
            resourceFiles: {
              'pg-image': { revision: pgRes, body },
              sidecar: { revision: 1, body: { ImageName: IMG2 } },
              tools: { revision: 1, body: Buffer.from('x') },
            },
          },
        ],
      })
      const res = await t.push('/admin/v1/charms', `r${revision}.tar.gz`, data)
      expect(res.status, JSON.stringify(res.body)).toBe(200)
    }
    // Two revisions of pg-image name the same image; a third names another.
    await push(1, 1, { ImageName: IMG1, Username: 'u', Password: 'p' })
    await push(2, 2, { ImageName: IMG1 })
    // The same database, served by an app configured with a registry domain.
    const config = loadConfig({ env: { AIRLOCK_OCI_REGISTRY_DOMAIN: 'registry.local:5000' }, flags: { dataDir: t.dataDir } })
    withDomain = await buildApp({
      config,
      database: t.database,
      blobs: createLocalBlobStore(t.dataDir),
      signingKey: loadSigningKey(t.dataDir, false),
      logger: createLogger('silent'),
    })
    await withDomain.ready()
  })
  afterAll(async () => {
    await withDomain?.close()
    await t?.close()
  })

  it('needs an admin token', async () => {
    expect((await get(t.app)).statusCode).toBe(401)
  })

  it('lists each distinct image once, with the resource revisions naming it, and local references', async () => {
    const res = await get(withDomain, t.token)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      registry: { domain: 'registry.local:5000' },
      images: [
        {
          original: IMG1,
          local: `registry.local:5000/charm/kotcfrohea62xreenq1q75n1lyspke0qkurhk/pg-image@${D1}`,
          digest: D1,
          tag: null,
          resources: [
            { charm: 'pg-k8s', charmId: expect.any(String), resource: 'pg-image', revision: 1 },
            { charm: 'pg-k8s', charmId: expect.any(String), resource: 'pg-image', revision: 2 },
          ],
        },
        {
          original: IMG2,
          local: `registry.local:5000/charm/zzzz/sidecar:2.1@${D2}`,
          digest: D2,
          tag: '2.1',
          resources: [{ charm: 'pg-k8s', charmId: expect.any(String), resource: 'sidecar', revision: 1 }],
        },
      ],
    })
  })

  it('without a domain, local is null (the CLI refuses to print a misleading list)', async () => {
    const body = (await get(t.app, t.token)).json()
    expect(body.registry).toEqual({ domain: null })
    expect(body.images.map((i: { local: string | null }) => i.local)).toEqual([null, null])
  })
})
