// push-images against hostile archives and unfriendly registries: each case exits 1 with an error
// naming the image (or the archive) and the cause, and nothing half-pushed is reported as pushed or
// left as a manifest in the registry. Also the registry set-ups that must work: Basic auth, the
// token flow, and https with a private CA.
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCharmExport, writeFixture } from '../support/charm-builder.js'
import { removeDir, runCli, startServer, type RunningServer } from '../support/server-process.js'
import {
  archiveOf,
  buildOciLayout,
  freePort,
  inspectRaw,
  PASSWORD,
  startRegistry,
  USER,
  type Registry,
  type TestImage,
} from '../support/registry.js'

const PATH_A = 'charm/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/app-image'
const PATH_B = 'charm/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/sidecar-image'
let plain: Registry
let server: RunningServer
let dir: string
let a: TestImage
let b: TestImage
let archiveA: string
let archiveB: string
const registries: Registry[] = []
const admin = (): string[] => ['--url', server.url, '--data-dir', server.dataDir]
const noCreds = { AIRLOCK_OCI_REGISTRY_USERNAME: '', AIRLOCK_OCI_REGISTRY_PASSWORD: '' }
const creds = (user: string, password: string) => ({ AIRLOCK_OCI_REGISTRY_USERNAME: user, AIRLOCK_OCI_REGISTRY_PASSWORD: password })

async function registry(opts: Parameters<typeof startRegistry>[0]): Promise<Registry> {
  const r = await startRegistry(opts)
  registries.push(r)
  return r
}

async function manifestIn(reg: Registry, ref: string): Promise<boolean> {
  return inspectRaw(`${reg.host}/${ref}`).then(
    () => true,
    () => false,
  )
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-oci-fail-'))
  plain = await registry({})
  a = await buildOciLayout(join(dir, 'a'))
  b = await buildOciLayout(join(dir, 'b'), { layerSizes: [50_000, 60_000] })
  archiveA = await archiveOf(a.dir, join(dir, 'a.tar'))
  archiveB = await archiveOf(b.dir, join(dir, 'b.tar'))
  server = await startServer({ env: { AIRLOCK_OCI_REGISTRY_DOMAIN: plain.host } })
  const exp = await buildCharmExport({
    charms: [
      {
        name: 'app-k8s',
        revision: 3,
        bases: ['ubuntu@22.04/amd64'],
        resources: { 'app-image': { type: 'oci-image' }, 'sidecar-image': { type: 'oci-image' } },
        resourceFiles: {
          'app-image': { revision: 1, body: { ImageName: `registry.jujucharms.com/${PATH_A}@${a.digest}` } },
          'sidecar-image': { revision: 1, body: { ImageName: `registry.jujucharms.com/${PATH_B}@${b.digest}` } },
        },
      },
    ],
  })
  const pushed = await runCli(['push-charms', await writeFixture(dir, 'app.tar.gz', exp), ...admin()])
  expect(pushed.code, pushed.stderr).toBe(0)
})
afterAll(async () => {
  await server?.stop()
  for (const r of registries) await r.stop()
  if (server) await removeDir(server.dataDir)
  if (dir) await removeDir(dir)
})

describe('bad archives', () => {
  it('a file that is not a tar: exit 1, the archive and the cause named', async () => {
    const junk = join(dir, 'junk.tar')
    await writeFile(junk, Buffer.alloc(4096, 'x'))
    const r = await runCli(['push-images', junk, '--insecure', ...admin()])
    expect(r.code).toBe(1)
    expect(r.stdout).toContain(`failed     ${junk}: not a tar archive or damaged: bad header checksum at byte 0`)
    expect(r.stdout).toMatch(/0 pushed, 0 already present, 2 still missing, 0 not named by any resource, 1 failed/)
  })

  it('a truncated archive: exit 1, nothing pushed', async () => {
    const cut = join(dir, 'cut.tar')
    const bytes = await readFile(archiveB)
    await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length / 2)))
    const r = await runCli(['push-images', cut, '--insecure', ...admin()])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(new RegExp(`failed     ${cut}: .*truncated`))
    expect(await manifestIn(plain, `${PATH_B}@${b.digest}`)).toBe(false)
  })

  it('a layer whose bytes do not match its digest: the image named, upload aborted, other images still pushed', async () => {
    const bad = join(dir, 'b-bad.tar')
    await copyFile(archiveB, bad)
    const bytes = await readFile(bad)
    const layer = await readFile(b.layers[1]!.file)
    const at = bytes.indexOf(layer.subarray(0, 64))
    bytes[at + 1000] = bytes[at + 1000]! ^ 0xff
    await writeFile(bad, bytes)
    const r = await runCli(['push-images', archiveA, bad, '--insecure', '--json', ...admin()])
    expect(r.code).toBe(1)
    const report = JSON.parse(r.stdout)
    expect(report.pushed.map((p: { reference: string }) => p.reference)).toEqual([`${plain.host}/${PATH_A}@${a.digest}`])
    expect(report.failed).toHaveLength(1)
    expect(report.failed[0].reference).toBe(`${plain.host}/${PATH_B}@${b.digest}`)
    expect(report.failed[0].error).toContain(`blob blobs/sha256/${b.layers[1]!.digest.slice(7)} does not match its digest`)
    expect(await manifestIn(plain, `${PATH_B}@${b.digest}`)).toBe(false)
    const head = await fetch(`http://${plain.host}/v2/${PATH_B}/blobs/${b.layers[1]!.digest}`, { method: 'HEAD' })
    expect(head.status).toBe(404)
  })
})

describe('registries that refuse or are away', () => {
  it('a registry that is down: exit 1, the image and ECONNREFUSED named, the rest not attempted', async () => {
    const port = await freePort()
    const r = await runCli(['push-images', archiveA, archiveB, '--registry', `127.0.0.1:${port}`, '--insecure', ...admin()])
    expect(r.code).toBe(1)
    expect(r.stdout).toContain(
      `failed     127.0.0.1:${port}/${PATH_A}@${a.digest} (from ${archiveA}): cannot reach registry http://127.0.0.1:${port}: ECONNREFUSED`,
    )
    expect(r.stdout).toMatch(/not attempted: cannot reach registry/)
    expect(r.stdout).toMatch(/0 pushed, .* 2 failed/)
  })

  it('Basic auth (htpasswd): no credentials, wrong credentials, then the right ones', async () => {
    const reg = await registry({ auth: 'htpasswd' })
    const args = ['push-images', archiveA, '--registry', reg.host, '--insecure', ...admin()]
    const none = await runCli(args, noCreds)
    expect(none.code).toBe(1)
    expect(none.stdout).toContain(`${reg.host}/${PATH_A}@${a.digest} (from ${archiveA}): registry ${reg.host} requires credentials`)
    const wrong = await runCli(args, creds(USER, 'wrong'))
    expect(wrong.code).toBe(1)
    expect(wrong.stdout).toContain(`registry ${reg.host} refused the credentials of user "${USER}" (HTTP 401`)
    expect(wrong.stdout).toMatch(/0 pushed/)
    const right = await runCli(args, creds(USER, PASSWORD))
    expect(right.code, right.stdout + right.stderr).toBe(0)
    expect(right.stdout).toContain(`pushed     ${reg.host}/${PATH_A}@${a.digest}`)
  })

  it('the Docker token flow: wrong credentials refused by the token server, right ones push', async () => {
    const reg = await registry({ auth: 'token' })
    const args = ['push-images', archiveA, archiveB, '--registry', reg.host, '--insecure', ...admin()]
    const wrong = await runCli(args, creds(USER, 'wrong'))
    expect(wrong.code).toBe(1)
    expect(wrong.stdout).toMatch(new RegExp(`token server http://127\\.0\\.0\\.1:\\d+ refused the credentials of user "${USER}"`))
    const right = await runCli(args, creds(USER, PASSWORD))
    expect(right.code, right.stdout + right.stderr).toBe(0)
    expect(right.stdout).toMatch(/2 pushed, 0 already present/)
  })

  it('https with a private CA: refused without --ca-file (with a hint), pushed with it', async () => {
    const reg = await registry({ tls: true })
    const without = await runCli(['push-images', archiveA, '--registry', reg.host, ...admin()])
    expect(without.code).toBe(1)
    expect(without.stdout).toMatch(/cannot reach registry https:\/\/127\.0\.0\.1:\d+: \S+ \(a private CA needs --ca-file/)
    const withCa = await runCli(['push-images', archiveA, '--registry', reg.host, '--ca-file', reg.caFile!, ...admin()])
    expect(withCa.code, withCa.stdout + withCa.stderr).toBe(0)
    expect(withCa.stdout).toContain(`pushed     ${reg.host}/${PATH_A}@${a.digest}`)
  })
})

describe('usage', () => {
  it('refuses a --registry with a scheme (exit 2) and an unreadable --ca-file (exit 2)', async () => {
    expect((await runCli(['push-images', archiveA, '--registry', 'http://x:5000', ...admin()])).code).toBe(2)
    expect((await runCli(['push-images', archiveA, '--ca-file', join(dir, 'none.pem'), ...admin()])).code).toBe(2)
  })

  it('a server with no registry domain: list-images and push-images say so, exit 1', async () => {
    const bare = await startServer()
    try {
      const exp = await buildCharmExport({
        charms: [
          {
            name: 'app-k8s',
            revision: 3,
            resources: { 'app-image': { type: 'oci-image' } },
            resourceFiles: { 'app-image': { revision: 1, body: { ImageName: `registry.jujucharms.com/${PATH_A}@${a.digest}` } } },
          },
        ],
      })
      const flags = ['--url', bare.url, '--data-dir', bare.dataDir]
      expect((await runCli(['push-charms', await writeFixture(dir, 'bare.tar.gz', exp), ...flags])).code).toBe(0)
      const list = await runCli(['list-images', ...flags])
      expect(list.code).toBe(1)
      expect(list.stderr).toContain('the server has no OCI registry configured (oci-registry.domain / AIRLOCK_OCI_REGISTRY_DOMAIN)')
      const push = await runCli(['push-images', archiveA, '--insecure', ...flags])
      expect(push.code).toBe(1)
      expect(push.stderr).toContain('or pass --registry HOST[:PORT]')
      // --registry is enough on its own: Juju is told upstream, the mirror holds the same path.
      const viaFlag = await runCli(['push-images', archiveA, '--insecure', '--registry', plain.host, ...flags])
      expect(viaFlag.code, viaFlag.stdout + viaFlag.stderr).toBe(0)
    } finally {
      await bare.stop()
      await removeDir(bare.dataDir)
    }
  })
})
