// End to end: the real server (trusting snapd's test root) and the real `airlock push-snap`, with
// `snap download`-style pairs and export tarballs, on PGlite and PostgreSQL.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeFixture } from '../support/charm-builder.js'
import { createTestDatabase, type TestDatabase } from '../support/postgres.js'
import { removeDir, runCli, startServer, type RunningServer } from '../support/server-process.js'
import { buildSnapExport, flipSignatureByte, signedSnap, snapIdOf, TEST_ROOT_FILES, type SignedSnap } from '../support/snap-builder.js'
import { dialects } from '../support/dialects.js'

describe.each(dialects)('%s: airlock push-snap end to end', (dialect) => {
  let server: RunningServer
  let pgdb: TestDatabase | undefined
  let dir: string
  const admin = () => ['--url', server.url, '--data-dir', server.dataDir]
  const listSnaps = async () =>
    JSON.parse((await runCli(['list', 'snaps', '--json', ...admin()])).stdout) as Array<{
      name: string
      id: string
      channels: Array<{ channel: string; base: { architecture: string }; revision: number }>
    }>
  const writePair = async (s: SignedSnap, sub = '') => [
    await writeFixture(dir, `${sub}${s.name}_${s.revision}.snap`, s.snap),
    await writeFixture(dir, `${sub}${s.name}_${s.revision}.assert`, s.assert),
  ]

  beforeAll(async () => {
    if (dialect === 'pg') pgdb = await createTestDatabase()
    server = await startServer({ databaseUrl: pgdb?.url, args: ['--trusted-assertions', TEST_ROOT_FILES.join(',')] })
    dir = await mkdtemp(join(tmpdir(), 'airlock-snaps-'))
  })
  afterAll(async () => {
    await server?.stop()
    await pgdb?.drop()
    if (server) await removeDir(server.dataDir)
    if (dir) await removeDir(dir)
  })

  it('pushes a `snap download` pair and lists it; an identical re-push is unchanged', async () => {
    const [snap, assert] = await writePair(signedSnap({ name: 'hello', version: '2.10', revision: 42 }))
    const push = await runCli(['push-snap', snap!, assert!, ...admin()])
    expect(push.stderr).toBe('')
    expect(push.code).toBe(0)
    expect(push.stdout).toMatch(/snap hello revision 42 \(version 2\.10\): imported/)
    expect(push.stdout).toMatch(/released to: latest\/stable/)
    const list = await listSnaps()
    expect(list).toMatchObject([
      { name: 'hello', id: snapIdOf('hello'), channels: [{ channel: 'latest/stable', base: { architecture: 'all' }, revision: 42 }] },
    ])

    const before = (await runCli(['list', 'snaps', '--json', ...admin()])).stdout
    const again = await runCli(['push-snap', assert!, snap!, '--json', ...admin()]) // order does not matter
    expect(again.code).toBe(0)
    expect(JSON.parse(again.stdout)[0].revisions.map((r: { status: string }) => r.status)).toEqual(['unchanged'])
    expect((await runCli(['list', 'snaps', '--json', ...admin()])).stdout).toBe(before)
  })

  it('releases to --channel, and pushes export tarballs and pairs in one command', async () => {
    const pair = await writePair(signedSnap({ name: 'tool', architectures: ['arm64'], revision: 7 }), 'dl/')
    const exported = await writeFixture(
      dir,
      'jq-20221026T104628.tar.gz',
      await buildSnapExport({ snaps: [signedSnap({ name: 'jq', revision: 6 })] }),
    )
    const res = await runCli(['push-snap', exported, ...pair, '--channel', '2.0/candidate', '--json', ...admin()])
    expect(res.stderr).toBe('')
    expect(res.code).toBe(0)
    const reports = JSON.parse(res.stdout) as Array<{ file: string; revisions: Array<{ name: string; released: string[] }> }>
    expect(reports.map((r) => [r.file, r.revisions.map((x) => `${x.name}:${x.released.join(',')}`)])).toEqual([
      [exported, ['jq:2.0/candidate']],
      [pair[0], ['tool:2.0/candidate']],
    ])
    expect((await listSnaps()).map((p) => p.name)).toEqual(['hello', 'jq', 'tool'])
  })

  it('refuses a bad pair with exit 1, naming the file at fault, and imports nothing', async () => {
    const good = signedSnap({ name: 'broken', revision: 1 })
    const [snap, assert] = await writePair({ ...good, assert: flipSignatureByte(good.assert, 'snap-declaration') }, 'bad/')
    const before = (await runCli(['list', 'snaps', '--json', ...admin()])).stdout
    const res = await runCli(['push-snap', snap!, assert!, ...admin()])
    expect(res.code).toBe(1)
    expect(res.stderr).toContain(
      `airlock: refused: ${assert}: snap-declaration (series=16, snap-id=${snapIdOf('broken')}): signature does not verify`,
    )
    expect((await runCli(['list', 'snaps', '--json', ...admin()])).stdout).toBe(before)

    const [fake, fakeAssert] = await writePair({ ...good, snap: Buffer.from('#!/bin/sh\necho not a squashfs\n') }, 'fake/')
    const notSnap = await runCli(['push-snap', fake!, fakeAssert!, ...admin()])
    expect(notSnap.code).toBe(1)
    expect(notSnap.stderr).toContain(`airlock: refused: ${fake}: not a snap: no squashfs magic ("hsqs")`)
    expect((await runCli(['list', 'snaps', '--json', ...admin()])).stdout).toBe(before)
  })

  it('exits 2 on usage errors before uploading anything', async () => {
    const [snap] = await writePair(signedSnap({ name: 'lonely', revision: 1 }), 'usage/')
    const lone = await runCli(['push-snap', snap!, ...admin()])
    expect(lone.code).toBe(2)
    expect(lone.stderr).toMatch(/lonely_1\.snap: a snap needs its assertions/)
    const channel = await runCli(['push-snap', snap!, '--channel', 'nope/nope/nope/nope', ...admin()])
    expect(channel.code).toBe(2)
    expect(channel.stderr).toMatch(/--channel "nope\/nope\/nope\/nope" is not a channel/)
    expect((await listSnaps()).map((p) => p.name)).not.toContain('lonely')
  })
})
