// End to end with real snapd clients against the real server process (docs/protocol/snap-store.md
// §2.1 "snap download", docs/protocol/snap-store.md §6.4):
// - `snap-testkeys` (snapd's CLI built with `withtestkeys`, trusting the public `testrootorg` root)
//   downloads through refresh, the download URL and the whole assertion chain, and writes
//   NAME_REV.snap + NAME_REV.assert;
// - Debian's stock `snap` trusts only Canonical's root: it downloads and hash-checks the blob, then
//   refuses the testrootorg chain; `snap known --remote --direct` reads assertions without a chain check.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/storage/db/connect.js'
import { migrate } from '../../src/storage/db/migrate.js'
import { FIXTURES, TEST_STORE_KEY_ID } from '../support/assertion-signer.js'
import { removeDir, runCli, startServer, type RunningServer } from '../support/server-process.js'
import { digestOf, SAMPLE_SNAPS, seedSnaps, snapIdOf, type SeededSnap } from '../support/snap-store-fixtures.js'

// Where scripts/build-snapd-testkeys.sh puts it (npm test's pretest step builds it when run as root).
const SNAP_TESTKEYS = join(process.env.SNAPD_TESTKEYS_DIR ?? join(homedir(), '.cache/snapd-testkeys'), 'bin/snap-testkeys')
const STOCK_SNAP = ['/usr/bin/snap', '/snap/bin/snap'].find((p) => existsSync(p))
if (!existsSync(SNAP_TESTKEYS))
  console.warn(`skipping snap-testkeys tests: ${SNAP_TESTKEYS} is missing (build it once with: sudo bash scripts/build-snapd-testkeys.sh)`)
if (!STOCK_SNAP) console.warn('skipping stock snap tests: no snap CLI (apt-get install snapd; scripts/install-test-deps.sh does)')

interface Run {
  code: number | null
  stdout: string
  stderr: string
  cwd: string
}

function run(bin: string, args: string[], env: Record<string, string>, cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    // A clean environment: no proxy settings or a stray SNAPPY_* from the host.
    const proc = spawn(bin, args, {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, LANG: 'C.UTF-8', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    proc.stdout.on('data', (d) => {
      stdout += d
    })
    proc.stderr.on('data', (d) => {
      stderr += d
    })
    const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000)
    proc.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, cwd })
    })
  })
}

const TRUSTED = ['--trusted-assertions', `${FIXTURES}testrootorg.account,${FIXTURES}test-root.account-key`]
let server: RunningServer
let seeded: SeededSnap[]
const dirs: string[] = []
const cwd = async () => {
  const d = await mkdtemp(join(tmpdir(), 'airlock-snapcli-'))
  dirs.push(d)
  return d
}
const storeEnv = () => ({ UBUNTU_STORE_URL: `${server.url}/` })
const built = (name: string, revision: number) =>
  seeded.find((s) => s.spec.name === name)!.revisions.find((r) => r.spec.revision === revision)!

beforeAll(async () => {
  if (!existsSync(SNAP_TESTKEYS) && !STOCK_SNAP) return
  // Seed the server's embedded database before it starts (PGlite allows one process at a time).
  const dataDir = await mkdtemp(join(tmpdir(), 'airlock-e2e-snap-'))
  const database = await openDatabase({ dataDir })
  await migrate(database.db)
  seeded = await seedSnaps(database.db, dataDir, SAMPLE_SNAPS)
  await database.close()
  server = await startServer({ dataDir, args: TRUSTED })
})
afterAll(async () => {
  await server?.stop()
  if (server) await removeDir(server.dataDir)
  for (const d of dirs) await removeDir(d)
})

describe.skipIf(!existsSync(SNAP_TESTKEYS))('snap-testkeys download (withtestkeys snap CLI)', () => {
  it('downloads hello from stable with the full assertion chain', async () => {
    const r = await run(SNAP_TESTKEYS, ['download', 'hello'], storeEnv(), await cwd())
    expect(r.code, `${r.stdout}\n${r.stderr}\n${server.logs.slice(-20).join('\n')}`).toBe(0)
    expect((await readdir(r.cwd)).sort()).toEqual(['hello_1.assert', 'hello_1.snap'])
    expect((await readFile(join(r.cwd, 'hello_1.snap'))).equals(built('hello', 1).bytes)).toBe(true)
    const assert = await readFile(join(r.cwd, 'hello_1.assert'), 'utf8')
    const types = [...assert.matchAll(/^type: (.+)$/gm)].map((m) => m[1]).sort()
    // snap-revision and its prerequisites; the trusted testrootorg account and root key are never fetched.
    expect(types).toEqual(['account', 'account-key', 'snap-declaration', 'snap-revision'])
    expect(assert).toContain(`snap-sha3-384: ${digestOf(built('hello', 1).bytes)}`)
    expect(assert).toContain(`snap-id: ${snapIdOf('hello')}`)
    expect(assert).toContain(`public-key-sha3-384: ${TEST_STORE_KEY_ID}`)
    expect(assert).toContain('account-id: developer1')
  })

  it('follows --channel and UBUNTU_STORE_ARCH', async () => {
    const edge = await run(SNAP_TESTKEYS, ['download', 'hello', '--channel=edge'], storeEnv(), await cwd())
    expect(edge.code, edge.stderr).toBe(0)
    expect(await readdir(edge.cwd)).toContain('hello_2.snap')
    const arm = await run(SNAP_TESTKEYS, ['download', 'multi'], { ...storeEnv(), UBUNTU_STORE_ARCH: 'arm64' }, await cwd())
    expect(arm.code, arm.stderr).toBe(0)
    expect((await readFile(join(arm.cwd, 'multi_11.snap'))).equals(built('multi', 11).bytes)).toBe(true)
    const rev = await run(SNAP_TESTKEYS, ['download', 'multi', '--revision=12'], storeEnv(), await cwd())
    expect(rev.code, rev.stderr).toBe(0)
    expect(await readdir(rev.cwd)).toContain('multi_12.assert')
  })

  it('round-trips: the pair it wrote, pushed with airlock push-snap into an empty store, downloads again', async () => {
    const env = { UBUNTU_STORE_ARCH: 'amd64' }
    const first = await run(SNAP_TESTKEYS, ['download', 'multi', '--channel=beta'], { ...storeEnv(), ...env }, await cwd())
    expect(first.code, first.stderr).toBe(0)
    const other = await startServer({ args: TRUSTED })
    try {
      const files = ['multi_12.snap', 'multi_12.assert'].map((f) => join(first.cwd, f))
      const push = await runCli(['push-snap', ...files, '--channel', 'beta', '--url', other.url, '--data-dir', other.dataDir])
      expect(push.code, push.stderr).toBe(0)
      const again = await run(
        SNAP_TESTKEYS,
        ['download', 'multi', '--channel=beta'],
        { UBUNTU_STORE_URL: `${other.url}/`, ...env },
        await cwd(),
      )
      expect(again.code, again.stderr).toBe(0)
      expect((await readFile(join(again.cwd, 'multi_12.snap'))).equals(built('multi', 12).bytes)).toBe(true)
    } finally {
      await other.stop()
      await removeDir(other.dataDir)
    }
  })

  it('reports unknown snaps and missing channels as snapd does', async () => {
    const nope = await run(SNAP_TESTKEYS, ['download', 'nope'], storeEnv(), await cwd())
    expect(nope.code).not.toBe(0)
    expect(nope.stderr).toMatch(/cannot download snap "nope": snap not found/)
    const arch = await run(SNAP_TESTKEYS, ['download', 'multi'], { ...storeEnv(), UBUNTU_STORE_ARCH: 's390x' }, await cwd())
    expect(arch.code).not.toBe(0)
    expect(arch.stderr).toMatch(/not available|no snap revision/i)
    expect(await readdir(arch.cwd)).toEqual([])
  })
})

describe.skipIf(!STOCK_SNAP)("Debian's stock snap CLI", () => {
  it('snap download fetches and hash-checks the blob, then refuses the testrootorg chain', async () => {
    const r = await run(STOCK_SNAP!, ['download', 'hello'], storeEnv(), await cwd())
    expect(r.code).toBe(1)
    // The refresh answer, the download (size and sha3-384 checked while streaming) and the assertion
    // walk all worked; the walk ends at testrootorg's self-signed root, which stock snapd does not trust.
    expect(r.stdout).toBe('Fetching snap "hello"\nFetching assertions for "hello"\n')
    expect(r.stderr).toMatch(
      /error: cannot fetch snap signatures\/assertions: circular assertions are not expected: account \(testrootorg\)\n$/,
    )
    expect((await readFile(join(r.cwd, 'hello_1.snap'))).equals(built('hello', 1).bytes)).toBe(true)
  })

  it('snap known --remote --direct reads assertions straight from the store', async () => {
    // The CLI's own store client reads SNAPPY_FORCE_API_URL here, not UBUNTU_STORE_URL (that is snap download's).
    const env = { SNAPPY_FORCE_API_URL: `${server.url}/` }
    const r = await run(
      STOCK_SNAP!,
      ['known', '--remote', '--direct', 'snap-declaration', 'series=16', `snap-id=${snapIdOf('hello')}`],
      env,
      await cwd(),
    )
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe(built('hello', 1).assertions[1]!.toString())
    // A 404 problem+json is understood as "not found" (anything else would be "unexpected HTTP status").
    const missing = await run(STOCK_SNAP!, ['known', '--remote', '--direct', 'account', 'account-id=nobody'], env, await cwd())
    expect(missing.code).toBe(1)
    expect(missing.stderr).toBe('error: account (nobody) not found\n')
  })
})
