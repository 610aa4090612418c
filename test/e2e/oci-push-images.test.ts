// The air-gapped Kubernetes flow end to end, with real tools: a charm export whose oci-image
// resource names an image → push-charms → list-images → an archive made by skopeo → push-images to
// a real registry (Debian's docker-registry) → skopeo inspects the image by digest → Juju fetches
// the resource and is pointed at the local registry.
import { createHash } from 'node:crypto'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCharmExport, writeFixture } from '../support/charm-builder.js'
import { removeDir, runCli, startServer, type RunningServer } from '../support/server-process.js'
import { JujuClient } from '../support/juju-client.js'
import { archiveOf, buildOciLayout, inspectRaw, skopeo, startRegistry, type Registry, type TestImage } from '../support/registry.js'

const PATH = 'charm/kotcfrohea62xreenq1q75n1lyspke0qkurhk/pg-image'
const TOOLS_PATH = 'charm/aaaabbbbccccddddeeeeffffgggghhhhiiiij/tools-image'
const DOCKER_PATH = 'charm/aaaabbbbccccddddeeeeffffgggghhhhiiiij/docker-image'
let registry: Registry
let server: RunningServer
let dir: string
let image: TestImage
let plain: TestImage
let ociArchive: string
let dockerArchive: string
let dockerDigest: string
const admin = (): string[] => ['--url', server.url, '--data-dir', server.dataDir]
const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`

/** The manifest a registry would hold for `img`'s docker save form, as skopeo serialises it. */
function dockerManifest(img: TestImage): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: img.config.size, digest: img.config.digest },
      layers: img.layers.map((l) => ({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar', size: l.size, digest: l.digest })),
    }),
  )
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-oci-e2e-'))
  registry = await startRegistry()
  image = await buildOciLayout(join(dir, 'layout'))
  // Uncompressed layers: the docker save archive made from it keeps the same bytes (see below).
  plain = await buildOciLayout(join(dir, 'plain'), { gzip: false, layerSizes: [3000] })
  ociArchive = await archiveOf(image.dir, join(dir, 'pg-image.tar'))
  // skopeo's docker-archive of an uncompressed-layer image keeps the config and layer bytes, so the
  // Docker schema 2 manifest for it is known ahead: a resource can name its digest.
  dockerArchive = await archiveOf(plain.dir, join(dir, 'tools.docker.tar'), 'docker-archive', 'tools:1.0')
  dockerDigest = sha256(dockerManifest(plain))
  server = await startServer({
    env: {
      AIRLOCK_OCI_REGISTRY_DOMAIN: registry.host,
      AIRLOCK_OCI_REGISTRY_USERNAME: 'juju-pull',
      AIRLOCK_OCI_REGISTRY_PASSWORD: 'pull-secret',
    },
  })
  const exp = await buildCharmExport({
    charms: [
      {
        name: 'pg-k8s',
        revision: 20,
        bases: ['ubuntu@22.04/amd64'],
        resources: { 'pg-image': { type: 'oci-image' }, 'tools-image': { type: 'oci-image' }, 'docker-image': { type: 'oci-image' } },
        resourceFiles: {
          'pg-image': {
            revision: 19,
            body: { ImageName: `registry.jujucharms.com/${PATH}@${image.digest}`, Username: 'upstream', Password: 'upstream-secret' },
          },
          // Named by tag and digest; its archive is carried later (first "still missing").
          'tools-image': { revision: 3, body: { ImageName: `registry.jujucharms.com/${TOOLS_PATH}:1.0@${plain.digest}` } },
          'docker-image': { revision: 1, body: { ImageName: `registry.jujucharms.com/${DOCKER_PATH}@${dockerDigest}` } },
        },
      },
    ],
  })
  const pushed = await runCli(['push-charms', await writeFixture(dir, 'k8s.tar.gz', exp), ...admin()])
  expect(pushed.code, pushed.stderr).toBe(0)
})
afterAll(async () => {
  await server?.stop()
  await registry?.stop()
  if (server) await removeDir(server.dataDir)
  if (dir) await removeDir(dir)
})

describe('list-images', () => {
  it('prints <original> TAB <local>, one line per image', async () => {
    const r = await runCli(['list-images', ...admin()])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe(
      `registry.jujucharms.com/${DOCKER_PATH}@${dockerDigest}\t${registry.host}/${DOCKER_PATH}@${dockerDigest}\n` +
        `registry.jujucharms.com/${PATH}@${image.digest}\t${registry.host}/${PATH}@${image.digest}\n` +
        `registry.jujucharms.com/${TOOLS_PATH}:1.0@${plain.digest}\t${registry.host}/${TOOLS_PATH}:1.0@${plain.digest}\n`,
    )
  })

  it('--json names the resources behind each image', async () => {
    const r = await runCli(['list-images', '--json', ...admin()])
    expect(r.code, r.stderr).toBe(0)
    const body = JSON.parse(r.stdout)
    expect(body.registry).toEqual({ domain: registry.host })
    expect(body.images[1]).toMatchObject({
      digest: image.digest,
      tag: null,
      resources: [{ charm: 'pg-k8s', resource: 'pg-image', revision: 19 }],
    })
    expect(body.images[2]).toMatchObject({ digest: plain.digest, tag: '1.0' })
  })
})

describe('push-images', () => {
  it('pushes an oci-archive by digest; skopeo finds it; the others are still missing', async () => {
    const r = await runCli(['push-images', ociArchive, '--insecure', ...admin()])
    expect(r.code, r.stderr + r.stdout).toBe(0)
    expect(r.stdout).toContain(`pushed     ${registry.host}/${PATH}@${image.digest}`)
    expect(r.stdout).toContain(`missing    ${registry.host}/${TOOLS_PATH}:1.0@${plain.digest}`)
    expect(r.stdout).toMatch(/1 pushed, 0 already present, 2 still missing, 0 not named by any resource, 0 failed/)
    // Byte-identical manifest, so the digest Juju is given resolves.
    expect(await inspectRaw(`${registry.host}/${PATH}@${image.digest}`)).toBe(image.manifest.toString())
    const info = JSON.parse(await skopeo('inspect', '--tls-verify=false', '--no-tags', `docker://${registry.host}/${PATH}@${image.digest}`))
    expect(info.Digest).toBe(image.digest)
    expect(info.Layers).toEqual(image.layers.map((l) => l.digest))
  })

  it('is idempotent: a second push finds everything present', async () => {
    const r = await runCli(['push-images', ociArchive, '--insecure', '--json', ...admin()])
    expect(r.code, r.stderr).toBe(0)
    const report = JSON.parse(r.stdout)
    expect(report.pushed).toEqual([])
    expect(report.present).toEqual([{ reference: `${registry.host}/${PATH}@${image.digest}`, archive: ociArchive }])
  })

  it('pushes a docker save archive whose built manifest has the named digest', async () => {
    const r = await runCli(['push-images', dockerArchive, '--insecure', '--json', ...admin()])
    expect(r.code, r.stderr).toBe(0)
    const report = JSON.parse(r.stdout)
    expect(report.pushed.map((p: { reference: string }) => p.reference)).toEqual([`${registry.host}/${DOCKER_PATH}@${dockerDigest}`])
    expect(report.notNamed).toEqual([])
    expect(await inspectRaw(`${registry.host}/${DOCKER_PATH}@${dockerDigest}`)).toBe(dockerManifest(plain).toString())
    // Every blob is really there: skopeo pulls the whole image back.
    await skopeo(
      'copy',
      '-q',
      '--src-tls-verify=false',
      `docker://${registry.host}/${DOCKER_PATH}@${dockerDigest}`,
      `oci:${join(dir, 'pulled')}`,
    )
  })

  it('reports a docker save archive no resource names, and pushes nothing from it', async () => {
    // Layers were gzip in the layout; docker-archive stores them uncompressed: another digest.
    const archive = await archiveOf(image.dir, join(dir, 'pg.docker.tar'), 'docker-archive', 'pg:2')
    const r = await runCli(['push-images', archive, '--insecure', '--json', ...admin()])
    expect(r.code, r.stderr).toBe(0)
    const report = JSON.parse(r.stdout)
    expect(report.notNamed).toHaveLength(1)
    expect(report.notNamed[0]).toMatchObject({ archive, names: ['docker.io/library/pg:2'] })
    expect(report.pushed).toEqual([])
    expect(report.missing).toHaveLength(3)
  })

  it('pushes the uncompressed image from its oci-archive by digest and tag', async () => {
    const archive = await archiveOf(plain.dir, join(dir, 'tools.tar'))
    const r = await runCli(['push-images', archive, ociArchive, '--insecure', ...admin()])
    expect(r.code, r.stderr + r.stdout).toBe(0)
    expect(r.stdout).toMatch(/1 pushed, 1 already present, 1 still missing, 0 not named by any resource, 0 failed/)
    const byTag = JSON.parse(await skopeo('inspect', '--tls-verify=false', '--no-tags', `docker://${registry.host}/${TOOLS_PATH}:1.0`))
    expect(byTag.Digest).toBe(plain.digest)
  })
})

describe('Juju fetching the oci-image resource', () => {
  it.each(['3.6', '4.0'] as const)('Juju %s gets the local reference and the configured credentials', async (v) => {
    const juju = new JujuClient(server.url, v)
    const r = await juju.resolve('pg-k8s', 'stable', { name: 'ubuntu', channel: '22.04', architecture: 'amd64' })
    const res = await juju.resourceDownload(
      r.id,
      r.charm.revision,
      r.charm.resources.map((x: { name: string; revision: number }) => ({ name: x.name, revision: x.revision })),
    )
    const pg = res.charm.resources.find((x: { name: string }) => x.name === 'pg-image')
    const body = await juju.fetchVerified(pg.download.url, {
      size: pg.download.size,
      sha384: pg.download['hash-sha-384'],
      sha256: pg.download['hash-sha-256'],
    })
    expect(createHash('sha384').update(body).digest('hex')).toBe(pg.download['hash-sha-384'])
    expect(body.length).toBe(pg.download.size)
    expect(JSON.parse(body.toString())).toEqual({
      ImageName: `${registry.host}/${PATH}@${image.digest}`,
      Username: 'juju-pull',
      Password: 'pull-secret',
    })
  })
})
