// The object store going down under a running `airlock serve` and coming back, for real: the Ceph
// gateway is SIGKILLed (refused connections, as a crash or a cut network gives) while the server
// runs, then started again. During the outage the catalog APIs answer 200, a download answers 503
// with Retry-After, a push fails with one line and exit 1 and leaves nothing behind; once the
// gateway answers again, downloads and pushes work without restarting Airlock, and gc leaves no
// object that nothing references.
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBuilt, removeDir, runCli, startServer } from '../support/server-process.js'
import { buildCharmExport, writeFixture } from '../support/charm-builder.js'
import { JujuClient } from '../support/juju-client.js'
import { S3Driver } from '../../src/storage/blobs/s3-driver.js'
import { startS3Server, type S3Server } from '../support/s3-server.js'

let s3: S3Server
let tmp: string

beforeAll(async () => {
  ensureBuilt()
  tmp = await mkdtemp(join(tmpdir(), 'airlock-s3-outage-'))
  s3 = await startS3Server()
}, 240_000)

afterAll(async () => {
  await s3?.close()
  if (tmp) await rm(tmp, { recursive: true, force: true })
})

const BUCKET = 'outage-recovery'
const base = (channel: string) => ({ name: 'ubuntu', channel, architecture: 'amd64' })

async function bucketKeys(prefix: string): Promise<string[]> {
  const d = new S3Driver({
    endpoint: s3.endpoint,
    bucket: BUCKET,
    region: s3.region,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    forcePathStyle: true,
  })
  try {
    const keys: string[] = []
    for await (const o of d.list(prefix)) keys.push(o.key)
    return keys.sort()
  } finally {
    await d.close()
  }
}

describe('the object store killed under a running server, then back', () => {
  it('keeps metadata up, answers downloads 503, fails a push cleanly, and recovers without a restart', async () => {
    const server = await startServer({ env: s3.env(BUCKET) })
    const admin = ['--url', server.url, '--data-dir', server.dataDir]
    // 'second' carries a megabyte of noise: larger than the window a reader keeps from the push's
    // zip reading, so its download has to ask the object store (a small blob may be served from it).
    const exportOf = async (name: string, revision: number) =>
      writeFixture(
        tmp,
        `${name}.tar.gz`,
        await buildCharmExport({
          charms: [
            {
              name,
              revision,
              bases: ['ubuntu@22.04/amd64'],
              rawEntries: name === 'second' ? [{ name: 'noise.bin', data: randomBytes(1 << 20) }] : [],
            },
          ],
        }),
      )
    try {
      for (const name of ['first', 'second']) expect((await runCli(['push-charms', await exportOf(name, 1), ...admin])).code).toBe(0)
      const juju = new JujuClient(server.url, '4.0')
      const dl = (await juju.resolve('second', 'stable', base('22.04'))).charm.download
      const blobsBefore = await bucketKeys('blobs/')
      expect(blobsBefore).toContain(`blobs/sha256/${(dl['hash-sha-256'] as string).slice(0, 2)}/${dl['hash-sha-256']}`)
      const third = await exportOf('third', 1)

      await s3.killGateway()
      try {
        // The catalog APIs answer from the database.
        expect((await juju.resolve('first', 'stable', base('22.04'))).charm.download.url).toMatch(/^http/)
        expect((await fetch(`${server.url}/v2/charms/info/second`)).status).toBe(200)
        expect((await fetch(`${server.url}/v2/charms/find?q=first`)).status).toBe(200)
        expect((await runCli(['status', ...admin])).code).toBe(0)
        // A download: 503 + Retry-After, never a 200 cut short.
        const res = await fetch(dl.url)
        expect(res.status).toBe(503)
        expect(res.headers.get('retry-after')).toBe('5')
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unavailable')
        // A push: one line, exit 1.
        const push = await runCli(['push-charms', third, ...admin])
        expect(push.stderr).toBe('airlock: the blob store is not answering; nothing was imported, try again in a few seconds\n')
        expect(push.code).toBe(1)
        const gc = await runCli(['gc', ...admin])
        expect(gc.stderr).toMatch(/^airlock: the blob store is not answering; nothing more was deleted[^\n]*\n$/)
        expect(gc.code).toBe(1)
      } finally {
        await s3.startGateway()
      }

      // Back, with the same server process.
      const body = await juju.fetchVerified(dl.url, { size: dl.size, sha256: dl['hash-sha-256'], sha384: dl['hash-sha-384'] })
      expect(body.length).toBe(dl.size)
      expect((await runCli(['gc', ...admin])).code).toBe(0)
      expect(await bucketKeys('blobs/')).toEqual(blobsBefore)
      expect(await bucketKeys('tmp/')).toEqual([])
      const again = await runCli(['push-charms', third, ...admin])
      expect(again.stderr).toBe('')
      expect(again.code).toBe(0)
      const dl3 = (await juju.resolve('third', 'stable', base('22.04'))).charm.download
      expect((await juju.fetchVerified(dl3.url, { size: dl3.size, sha256: dl3['hash-sha-256'] })).length).toBe(dl3.size)
    } finally {
      await server.stop()
      await removeDir(server.dataDir)
    }
  }, 300_000)
})
