// A push while the object store fails, at every one of the storage driver calls a push makes in
// turn (test/support/failing-driver.ts): the push answers 503 with a message saying nothing was
// imported, nothing is committed, and once the store answers again gc leaves the store exactly as
// it was; the same push then succeeds without a restart. A lasting outage: downloads 503 with
// Retry-After, the catalog APIs keep answering, gc answers 503 saying nothing more was deleted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCharmExport } from '../support/charm-builder.js'
import { createTestApp, type TestApp } from '../support/test-app.js'
import { failingDriver, type FailingDriver } from '../support/failing-driver.js'
import { createFsDriver } from '../../src/storage/blobs/fs-driver.js'
import { createBlobStore } from '../../src/storage/blobs/content-store.js'

/** The dump without the audit trail (gc records what it deleted there). */
const withoutAudit = (dump: string): string => dump.replace(/## audit_log\n(?:[^#].*\n?)*/, '')

describe('a push while the object store fails', () => {
  let t: TestApp
  let driver!: FailingDriver
  let exportFile: Buffer
  const auth = () => ({ authorization: `Bearer ${t.token}` })
  const gc = async (): Promise<void> => {
    const res = await t.app.inject({ method: 'POST', url: '/admin/v1/gc', headers: auth() })
    expect(res.statusCode).toBe(200)
    // Temp objects of the failed writes are an hour's grace away from the route's gc: swept here.
    await createBlobStore(driver).sweepTemp(0)
  }

  beforeAll(async () => {
    t = await createTestApp('pglite', {}, { driver: (dir) => (driver = failingDriver(createFsDriver(dir))) })
    const first = await t.push(
      '/admin/v1/charms',
      'a.tar.gz',
      await buildCharmExport({ charms: [{ name: 'redis', revision: 1, metadataJson: false }] }),
    )
    expect(first.status).toBe(200)
    exportFile = await buildCharmExport({ charms: [{ name: 'valkey', revision: 1, metadataJson: false }] })
  })
  afterAll(async () => {
    await t?.close()
  })

  it('fails cleanly at each driver call of the push, and the same push then succeeds', async () => {
    const before = withoutAudit(await t.dump())
    // How many driver calls a successful push makes, counted on a throwaway app.
    let probeDriver!: FailingDriver
    const probe = await createTestApp('pglite', {}, { driver: (dir) => (probeDriver = failingDriver(createFsDriver(dir))) })
    let calls: number
    try {
      const start = probeDriver.calls
      expect((await probe.push('/admin/v1/charms', 'b.tar.gz', exportFile)).status).toBe(200)
      calls = probeDriver.calls - start
    } finally {
      await probe.close()
    }
    expect(calls).toBeGreaterThan(3)
    for (let n = 1; n <= calls; n++) {
      const at = driver.calls
      driver.failFrom(n)
      const res = await t.push('/admin/v1/charms', 'b.tar.gz', exportFile)
      driver.up()
      // Named in the failure message: which call failed (put, move, reader, read, stat...).
      const call = `${n}: ${driver.log[at + n - 1]}`
      expect({ call, status: res.status }).toEqual({ call, status: 503 })
      expect(res.body.error.message).toBe('the blob store is not answering; nothing was imported, try again in a few seconds')
      await gc()
      expect(withoutAudit(await t.dump())).toBe(before)
    }
    const ok = await t.push('/admin/v1/charms', 'b.tar.gz', exportFile)
    expect(ok.status).toBe(200)
    expect((await t.app.inject({ url: '/v2/charms/info/valkey' })).statusCode).toBe(200)
  })

  it('while the store stays down: catalog APIs answer, downloads and gc answer 503 with Retry-After', async () => {
    const info = await t.app.inject({ url: '/v2/charms/info/redis?fields=default-release.revision.download.url' })
    expect(info.statusCode).toBe(200)
    const url = new URL(info.json()['default-release'].revision.download.url as string)
    driver.failFrom(1)
    try {
      expect((await t.app.inject({ url: '/v2/charms/find?q=redis' })).statusCode).toBe(200)
      expect((await t.app.inject({ url: '/admin/v1/charms', headers: auth() })).statusCode).toBe(200)
      const dl = await t.app.inject({ url: url.pathname })
      expect(dl.statusCode).toBe(503)
      expect(dl.headers['retry-after']).toBe('5')
      const push = await t.push('/admin/v1/charms', 'c.tar.gz', exportFile)
      expect(push.status).toBe(503)
      const g = await t.app.inject({ method: 'POST', url: '/admin/v1/gc', headers: auth() })
      expect(g.statusCode).toBe(503)
      expect(g.headers['retry-after']).toBe('5')
      expect(g.json().error.message).toBe('the blob store is not answering; nothing more was deleted, try again in a few seconds')
    } finally {
      driver.up()
    }
    const dl = await t.app.inject({ url: url.pathname })
    expect(dl.statusCode).toBe(200)
  })
})
