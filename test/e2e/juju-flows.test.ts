// Juju's deploy, resource fetch, refresh and revision-updater flows against the real server process,
// in 3.6 and 4.0 behaviour, for charms pushed with the real CLI.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCharmExport, writeFixture } from '../support/charm-builder.js'
import { removeDir, runCli, startServer, type RunningServer } from '../support/server-process.js'
import { JujuClient } from '../support/juju-client.js'

let server: RunningServer
let fixtures: string
const OCI = {
  ImageName: 'registry.jujucharms.com/charm/kotcfrohea62xreenq1q75n1lyspke0qkurhk/pg-image@sha256:' + 'b'.repeat(64),
  Username: 'u',
  Password: 'p',
}

beforeAll(async () => {
  server = await startServer()
  fixtures = await mkdtemp(join(tmpdir(), 'airlock-juju-'))
  const push = async (name: string, spec: Parameters<typeof buildCharmExport>[0], extra: string[] = []) => {
    const res = await runCli([
      'push-charms',
      await writeFixture(fixtures, name, await buildCharmExport(spec)),
      '--url',
      server.url,
      '--data-dir',
      server.dataDir,
      ...extra,
    ])
    expect(res.code, res.stderr).toBe(0)
  }
  await push('machine.tar.gz', {
    charms: [
      {
        name: 'ubuntu',
        revision: 24,
        metadataJson: false,
        bases: ['ubuntu@20.04/amd64', 'ubuntu@22.04/amd64', 'ubuntu@24.04/amd64,arm64'],
      },
    ],
  })
  await push('k8s.tar.gz', {
    charms: [
      {
        name: 'pg-k8s',
        revision: 20,
        bases: ['ubuntu@22.04/amd64'],
        resources: { 'pg-image': { type: 'oci-image' }, tools: { type: 'file', filename: 'tools.tgz' } },
        resourceFiles: { 'pg-image': { revision: 19, body: OCI }, tools: { revision: 2, body: Buffer.alloc(100_000, 7) } },
      },
    ],
  })
})
afterAll(async () => {
  await server?.stop()
  if (server) await removeDir(server.dataDir)
  if (fixtures) await removeDir(fixtures)
})

describe.each(['3.6', '4.0'] as const)('Juju %s', (v) => {
  it('deploys without --base (NA → default base retry), downloads and verifies the charm', async () => {
    const juju = new JujuClient(server.url, v)
    const r = await juju.resolve('ubuntu', 'stable', { name: 'NA', channel: 'NA', architecture: 'amd64' })
    expect(r.charm.revision).toBe(24)
    expect(r.charm.bases[0]).toEqual({ name: 'ubuntu', channel: '24.04', architecture: 'amd64' })
    // J36's async downloader re-resolves by revision; J40 reuses the URL from deploy time.
    const dl = v === '3.6' ? (await juju.installByRevision('ubuntu', 24)).charm.download : r.charm.download
    const body = await juju.fetchVerified(dl.url, { size: dl.size, sha256: dl['hash-sha-256'] })
    expect(body.subarray(0, 4).toString('latin1')).toBe('PK\u0003\u0004')
  })

  it('deploys a Kubernetes charm and fetches its resources as units do', async () => {
    const juju = new JujuClient(server.url, v)
    const r = await juju.resolve('pg-k8s', 'stable', { name: 'ubuntu', channel: '22.04', architecture: 'amd64' })
    const res = await juju.resourceDownload(
      r.id,
      r.charm.revision,
      r.charm.resources.map((x: any) => ({ name: x.name, revision: x.revision })),
    )
    for (const x of res.charm.resources) {
      const body = await juju.fetchVerified(x.download.url, {
        size: x.download.size,
        sha384: x.download['hash-sha-384'],
        sha256: x.download['hash-sha-256'],
      })
      if (x.type === 'oci-image') expect(JSON.parse(body.toString()).ImageName).toBe(OCI.ImageName)
    }
  })

  it('runs the revision updater and juju refresh (refresh action by id)', async () => {
    const juju = new JujuClient(server.url, v)
    const r = await juju.resolve('ubuntu', 'stable', { name: 'ubuntu', channel: '22.04', architecture: 'amd64' })
    const up = await juju.refresh(r.id, 24, 'latest/stable', { name: 'ubuntu', channel: '22.04', architecture: 'amd64' })
    expect(up.charm.revision).toBe(24) // already up to date: still one result per action
  })

  it('juju download retries with the first suggested base after revision-not-found', async () => {
    const juju = new JujuClient(server.url, v)
    await expect(juju.resolve('pg-k8s', 'stable', { name: 'ubuntu', channel: '24.04', architecture: 'amd64' })).rejects.toThrow(
      /revision-not-found/,
    )
  })
})

it('sees a newer revision after a push with --push-channel-map (revision updater)', async () => {
  const res = await runCli([
    'push-charms',
    await writeFixture(
      fixtures,
      'ubuntu25.tar.gz',
      await buildCharmExport({ charms: [{ name: 'ubuntu', revision: 25, metadataJson: false, bases: ['ubuntu@22.04/amd64'] }] }),
    ),
    '--push-channel-map',
    '--url',
    server.url,
    '--data-dir',
    server.dataDir,
  ])
  expect(res.code, res.stderr).toBe(0)
  const juju = new JujuClient(server.url, '3.6')
  const r = await juju.resolve('ubuntu', 'stable', { name: 'ubuntu', channel: '22.04', architecture: 'amd64' })
  const up = await juju.refresh(r.id, 24, 'latest/stable', { name: 'ubuntu', channel: '22.04', architecture: 'amd64' })
  expect(up.charm.revision).toBe(25)
  // Other bases keep revision 24.
  const other = await juju.refresh(r.id, 24, 'latest/stable', { name: 'ubuntu', channel: '20.04', architecture: 'amd64' })
  expect(other.charm.revision).toBe(24)
})

describe.each(['3.6', '4.0'] as const)('Juju %s bundle deploy', (v) => {
  it('pushes a bundle export with the CLI, then resolves and downloads the bundle and every charm', async () => {
    const { buildBundleExport } = await import('../support/bundle-builder.js')
    const file = await writeFixture(
      fixtures,
      `obs-${v === '3.6' ? 'a' : 'b'}-20241003T104903.tar.gz`,
      await buildBundleExport({
        name: `obs-${v === '3.6' ? 'a' : 'b'}`,
        applications: { agent: { charm: 'grafana-agent', channel: 'edge' }, pg: { charm: 'ubuntu', channel: 'stable' } },
        charms: [{ name: 'grafana-agent', revision: 7, metadataJson: false, bases: ['ubuntu@22.04/amd64'] }],
      }),
    )
    const push = await runCli(['push-charm-bundle', file, '--url', server.url, '--data-dir', server.dataDir])
    expect(push.code, push.stderr).toBe(0)
    expect(push.stdout).toMatch(/bundle obs-[ab] revision 1 .*: imported/)
    const juju = new JujuClient(server.url, v)
    const b = await juju.resolve(`obs-${v === '3.6' ? 'a' : 'b'}`, 'stable', { name: 'NA', channel: 'NA', architecture: 'amd64' })
    expect(b.charm.type).toBe('bundle')
    const info = await juju.installByRevision(b.name, b.charm.revision)
    await juju.fetchVerified(info.charm.download.url, { size: info.charm.download.size })
    for (const [charm, channel] of [
      ['grafana-agent', 'edge'],
      ['ubuntu', 'stable'],
    ] as const) {
      const c = await juju.resolve(charm, channel, { name: 'ubuntu', channel: '22.04', architecture: 'amd64' })
      await juju.fetchVerified(c.charm.download.url, { size: c.charm.download.size, sha256: c.charm.download['hash-sha-256'] })
    }
    const list = await runCli(['list', 'bundles', '--url', server.url, '--data-dir', server.dataDir])
    expect(list.stdout).toMatch(new RegExp(`obs-${v === '3.6' ? 'a' : 'b'}`))
  })
})
