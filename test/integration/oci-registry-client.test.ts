// The registry client and pusher against a real registry (Debian's docker-registry), without the
// server: what goes over the wire. Mounts instead of re-uploads, idempotency, tags, and the token
// flow with a mount's two-repository scope.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openImageArchive } from '../../src/oci/archive.js'
import { createTransport, type Transport } from '../../src/oci/http.js'
import { pushImage, type PushSession } from '../../src/oci/push.js'
import { RegistryClient } from '../../src/oci/registry-client.js'
import type { ImageArchive } from '../../src/oci/types.js'
import { archiveOf, buildOciLayout, PASSWORD, startRegistry, USER, type Registry, type TestImage } from '../support/registry.js'
import { removeDir } from '../support/server-process.js'

let dir: string
let img: TestImage
let archive: ImageArchive
let transport: Transport
const registries: Registry[] = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-oci-client-'))
  img = await buildOciLayout(join(dir, 'layout'), { layerSizes: [30_000, 2_000_000] })
  archive = await openImageArchive(await archiveOf(img.dir, join(dir, 'img.tar')))
  transport = createTransport({})
})
afterAll(async () => {
  transport?.close()
  for (const r of registries) await r.stop()
  if (dir) await removeDir(dir)
})

describe.each([
  ['no auth', {}, {}],
  ['token flow', { auth: 'token' as const }, { username: USER, password: PASSWORD }],
])('%s', (_name, regOpts, creds) => {
  let reg: Registry
  let client: RegistryClient
  const session: PushSession = { blobHomes: new Map(), concurrency: 3 }
  beforeAll(async () => {
    reg = await startRegistry(regOpts)
    registries.push(reg)
    client = new RegistryClient({ host: reg.host, insecure: true, ...creds }, transport)
  })

  it('uploads every blob, then the manifest by digest and by tag, counting every byte once', async () => {
    let bytes = 0
    const out = await pushImage(archive, archive.manifests[0]!, { client, repository: 'team/app', tag: 'v1' }, session, (n) => {
      bytes += n
    })
    expect(out).toMatchObject({ status: 'pushed', uploaded: 3, mounted: 0, skipped: 0 })
    expect(bytes).toBe(img.config.size + img.layers.reduce((n, l) => n + l.size, 0))
    expect(await client.manifestDigest('team/app', 'v1')).toBe(img.digest)
  })

  it('mounts the blobs into another repository instead of uploading them again', async () => {
    const out = await pushImage(archive, archive.manifests[0]!, { client, repository: 'other/app' }, session)
    expect(out).toMatchObject({ status: 'pushed', uploaded: 0, mounted: 3 })
    expect(await client.manifestDigest('other/app', img.digest)).toBe(img.digest)
  })

  it('is idempotent: present, nothing written; a missing tag is added', async () => {
    expect(await pushImage(archive, archive.manifests[0]!, { client, repository: 'team/app', tag: 'v1' }, session)).toMatchObject({
      status: 'present',
      uploaded: 0,
    })
    expect((await pushImage(archive, archive.manifests[0]!, { client, repository: 'team/app', tag: 'v2' }, session)).status).toBe('pushed')
    expect(await client.manifestDigest('team/app', 'v2')).toBe(img.digest)
  })

  it('a fresh session skips blobs the repository already has (HEAD first)', async () => {
    expect(await client.hasBlob('team/app', img.layers[1]!.digest)).toBe(true)
    expect(await client.hasBlob('team/app', `sha256:${'0'.repeat(64)}`)).toBe(false)
    expect(await client.manifestDigest('team/app', 'nope')).toBeUndefined()
  })
})
