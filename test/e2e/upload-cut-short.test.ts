// An upload cut short commits nothing: cut at the size limit (even when the export inside is
// complete and only trailing bytes go over), or by a client that disconnects mid-upload.
import { connect } from 'node:net'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCharmExport, writeFixture } from '../support/charm-builder.js'
import { createTestDatabase, type TestDatabase } from '../support/postgres.js'
import { removeDir, runCli, startServer, type RunningServer } from '../support/server-process.js'
import { fileTree } from '../support/store-snapshot.js'
import { dialects } from '../support/dialects.js'

const LIMIT = 200_000

describe.each(dialects)('%s: uploads cut short', (dialect) => {
  let server: RunningServer
  let pgdb: TestDatabase | undefined
  let fixtures: string
  let exportTar: Buffer
  const admin = () => ['--url', server.url, '--data-dir', server.dataDir]
  const listed = async () => JSON.parse((await runCli(['list', 'charms', '--json', ...admin()])).stdout) as unknown[]

  beforeAll(async () => {
    if (dialect === 'pg') pgdb = await createTestDatabase()
    fixtures = await mkdtemp(join(tmpdir(), 'airlock-cut-'))
    const dataDir = await mkdtemp(join(tmpdir(), 'airlock-cut-data-'))
    const m = await runCli(['migrate', '--data-dir', dataDir, ...(pgdb ? ['--database-url', pgdb.url] : [])])
    expect(m.code, m.stderr).toBe(0)
    server = await startServer({ dataDir, databaseUrl: pgdb?.url, env: { AIRLOCK_LIMITS_UPLOAD_MAX_BYTES: String(LIMIT) } })
    exportTar = await buildCharmExport({ charms: [{ name: 'postgresql', revision: 12 }] })
    expect(exportTar.length).toBeLessThan(LIMIT / 2)
  }, 120_000)
  afterAll(async () => {
    await server?.stop()
    await pgdb?.drop()
    if (server) await removeDir(server.dataDir)
    if (fixtures) await removeDir(fixtures)
  })

  it('refuses an upload over the size limit and commits nothing, though the export in it is whole', async () => {
    // A complete tar followed by zeros (as tar's blocking pads it) that cross the limit.
    const file = await writeFixture(fixtures, 'padded.tar', Buffer.concat([exportTar, Buffer.alloc(LIMIT)]))
    const r = await runCli(['push-charms', file, ...admin()])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`padded.tar: larger than the upload limit of ${LIMIT} bytes (limits.upload-max-bytes)\n`)
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(await listed()).toEqual([])
    expect(await fileTree(join(server.dataDir, 'blobs'))).toEqual([])
  }, 60_000)

  it('commits nothing when the client disconnects mid-upload, after sending the whole export', async () => {
    const token = (await readFile(join(server.dataDir, 'admin.token'), 'utf8')).trim()
    const { port } = new URL(server.url)
    const boundary = 'cutboundary'
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.tar"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    )
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
    const sock = connect(Number(port), '127.0.0.1')
    await new Promise((r) => sock.once('connect', r))
    sock.write(
      `POST /admin/v1/charms HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${head.length + exportTar.length + tail.length}\r\n\r\n`,
    )
    sock.write(head)
    sock.write(exportTar) // every byte of the export, but not the part's closing boundary
    await new Promise((r) => setTimeout(r, 1500))
    sock.destroy()
    await new Promise((r) => setTimeout(r, 1500))
    expect(await listed()).toEqual([])
    expect(await fileTree(join(server.dataDir, 'blobs'))).toEqual([])
    const health = await fetch(`${server.url}/_status/check`)
    expect(health.status).toBe(200)
    // The same export, sent whole, goes in.
    const ok = await runCli(['push-charms', await writeFixture(fixtures, 'whole.tar', exportTar), ...admin()])
    expect(ok.code, ok.stderr).toBe(0)
    expect(await listed()).toHaveLength(1)
  }, 60_000)
})
