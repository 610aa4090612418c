// End to end: the real server process and the real `airlock` CLI, on PGlite and PostgreSQL.
import { mkdtemp, readFile, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCharmExport, writeFixture } from '../support/charm-builder.js'
import { createTestDatabase, type TestDatabase } from '../support/postgres.js'
import { removeDir, runCli, startServer, type RunningServer } from '../support/server-process.js'
import { dialects } from '../support/dialects.js'

describe.each(dialects)('%s: airlock push-charms end to end', (dialect) => {
  let server: RunningServer
  let pgdb: TestDatabase | undefined
  let fixtures: string
  const admin = () => ['--url', server.url, '--data-dir', server.dataDir]

  beforeAll(async () => {
    if (dialect === 'pg') pgdb = await createTestDatabase()
    server = await startServer({ databaseUrl: pgdb?.url })
    fixtures = await mkdtemp(join(tmpdir(), 'airlock-fixtures-'))
  })
  afterAll(async () => {
    await server?.stop()
    await pgdb?.drop()
    if (server) await removeDir(server.dataDir)
    if (fixtures) await removeDir(fixtures)
  })

  it('writes an admin token with mode 0600 at first start', async () => {
    const st = await stat(join(server.dataDir, 'admin.token'))
    expect(st.mode & 0o777).toBe(0o600)
    expect((await readFile(join(server.dataDir, 'admin.token'), 'utf8')).trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
  })

  it('reports health', async () => {
    const res = await fetch(`${server.url}/_status/check`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ status: 'ok', database: dialect })
  })

  it('pushes a multi-charm export and lists it', async () => {
    const file = await writeFixture(
      fixtures,
      'charms-export-20240426T163115.tar.gz',
      await buildCharmExport({
        charms: [
          { name: 'postgresql', revision: 12, bases: ['ubuntu@22.04/amd64,arm64', 'ubuntu@20.04/amd64'] },
          { name: 'pgbouncer', revision: 3, metadataJson: false, bases: ['ubuntu@22.04/amd64'] },
        ],
        bundleYaml: { applications: { db: { charm: 'postgresql', channel: '14/stable' }, pool: { charm: 'pgbouncer', channel: 'edge' } } },
      }),
    )
    const push = await runCli(['push-charms', file, ...admin()])
    expect(push.stderr).toBe('')
    expect(push.code).toBe(0)
    expect(push.stdout).toMatch(/charm postgresql revision 12 .*: imported/)
    expect(push.stdout).toMatch(/released to: latest\/stable/) // metadata.json's channel map wins over the YAML
    expect(push.stdout).toMatch(/charm pgbouncer revision 3 .*: imported/)
    expect(push.stdout).toMatch(/released to: latest\/edge/) // no metadata.json: the export YAML's channel

    const list = await runCli(['list', 'charms', '--json', ...admin()])
    expect(list.code).toBe(0)
    const pkgs = JSON.parse(list.stdout) as Array<{
      name: string
      id: string
      channels: Array<{ channel: string; base: { architecture: string } }>
    }>
    expect(pkgs.map((p) => p.name)).toEqual(['pgbouncer', 'postgresql'])
    const pg = pkgs.find((p) => p.name === 'postgresql')!
    expect(pg.id).toMatch(/^[A-Za-z0-9]{32}$/)
    expect(pg.channels.map((c) => `${c.channel}:${c.base.architecture}`).sort()).toEqual([
      'latest/stable:amd64',
      'latest/stable:amd64',
      'latest/stable:arm64',
    ])

    // An identical re-push succeeds and changes nothing, not even a timestamp.
    const again = await runCli(['push-charms', file, '--json', ...admin()])
    expect(again.code).toBe(0)
    expect(JSON.parse(again.stdout)[0].revisions.map((r: { status: string }) => r.status)).toEqual(['unchanged', 'unchanged'])
    expect((await runCli(['list', 'charms', '--json', ...admin()])).stdout).toBe(list.stdout)
  })

  it('holds channel pointers unless --push-channel-map', async () => {
    const make = (rev: number) => buildCharmExport({ charms: [{ name: 'redis', revision: rev, metadataJson: false }] })
    expect((await runCli(['push-charms', await writeFixture(fixtures, 'r1.tar.gz', await make(1)), ...admin()])).code).toBe(0)
    const r2 = await writeFixture(fixtures, 'r2.tar.gz', await make(2))
    const held = await runCli(['push-charms', r2, ...admin()])
    expect(held.code).toBe(0)
    expect(held.stdout).toMatch(/not released to: latest\/stable \(holds revision 1\)/)
    const moved = await runCli(['push-charms', r2, '--push-channel-map', '--json', ...admin()])
    expect(moved.code).toBe(0)
    expect(JSON.parse(moved.stdout)[0].revisions[0]).toMatchObject({ revision: 2, status: 'updated', released: ['latest/stable'] })
  })

  it('refuses a bad export with exit 1, naming the file and member', async () => {
    const bad = await writeFixture(
      fixtures,
      'bad.tar.gz',
      await buildCharmExport({ charms: [{ name: 'broken', revision: 1, files: { 'metadata.yaml': null } }] }),
    )
    const before = (await runCli(['list', 'charms', '--json', ...admin()])).stdout
    const res = await runCli(['push-charms', bad, ...admin()])
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(/bad\.tar\.gz: broken\.tar\.gz: broken_1\.charm: not a charm: metadata\.yaml is missing/)
    expect((await runCli(['list', 'charms', '--json', ...admin()])).stdout).toBe(before)
  })

  it('answers 401 without a valid token, and exit 1 from the CLI', async () => {
    expect((await fetch(`${server.url}/admin/v1/charms`)).status).toBe(401)
    expect((await fetch(`${server.url}/admin/v1/charms`, { headers: { authorization: 'Bearer not.a.jwt' } })).status).toBe(401)
    const res = await runCli(['list', 'charms', '--url', server.url, '--token', 'forged.token.value'])
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(/valid admin token/)
  })

  it('mints tokens with token create', async () => {
    const res = await runCli(['token', 'create', '--ttl', '1h', '--url', server.url, '--data-dir', server.dataDir, '--json'])
    expect(res.code).toBe(0)
    const { token } = JSON.parse(res.stdout) as { token: string }
    const list = await runCli(['list', 'charms', '--url', server.url, '--token', token])
    expect(list.code).toBe(0)
  })
})

describe('server lifecycle', () => {
  it('stops cleanly on SIGTERM with exit 0', async () => {
    const server = await startServer()
    try {
      expect(await server.stop('SIGTERM')).toBe(0)
    } finally {
      await removeDir(server.dataDir)
    }
  })

  it('refuses expired tokens', async () => {
    const server = await startServer()
    try {
      const { createToken, loadSigningKey } = await import('../../src/admin/tokens.js')
      const key = loadSigningKey(server.dataDir, false)
      const expired = await createToken(key, { ttlSeconds: -60 })
      expect((await fetch(`${server.url}/admin/v1/charms`, { headers: { authorization: `Bearer ${expired}` } })).status).toBe(401)
      const other = await createToken(new Uint8Array(32).fill(7), { ttlSeconds: 60 })
      expect((await fetch(`${server.url}/admin/v1/charms`, { headers: { authorization: `Bearer ${other}` } })).status).toBe(401)
    } finally {
      await server.stop()
      await removeDir(server.dataDir)
    }
  })
})
