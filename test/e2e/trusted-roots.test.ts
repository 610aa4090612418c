// Trusted roots as an operator meets them, with the real server and CLI: one file holding the
// root's account and account-key together (an assertion stream, as `snap known` prints), the roots
// named in the start-up log, and an import missing a key that says which assertion to add and where.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAssertions } from '../../src/assertions/parse.js'
import { fixture, TEST_ROOT_KEY_ID, TEST_STORE_KEY_ID } from '../support/assertion-signer.js'
import { writeFixture } from '../support/charm-builder.js'
import { removeDir, runCli, startServer, type RunningServer } from '../support/server-process.js'
import { signedSnap } from '../support/snap-builder.js'

let server: RunningServer
let dir: string
const admin = () => ['--url', server.url, '--data-dir', server.dataDir]

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-roots-'))
  const roots = join(dir, 'testroot.assert')
  await writeFile(roots, Buffer.concat([fixture('testrootorg.account'), Buffer.from('\n'), fixture('test-root.account-key')]))
  server = await startServer({ args: ['--trusted-assertions', roots], startTimeoutMs: 240_000 })
}, 300_000)
afterAll(async () => {
  await server?.stop()
  if (server) await removeDir(server.dataDir)
  if (dir) await removeDir(dir)
})

describe('trusted roots', () => {
  it('loads an account and its account-key from one file and logs them at start', () => {
    const line = server.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((j) => j.msg === 'trusted roots loaded')
    expect(line).toBeDefined()
    expect(line!.files).toEqual([join(dir, 'testroot.assert')])
    expect(line!.accounts).toEqual(expect.arrayContaining(['canonical', 'testrootorg']))
    expect(line!.keys).toEqual(expect.arrayContaining([expect.objectContaining({ id: TEST_ROOT_KEY_ID, account: 'testrootorg' })]))
  })

  it('imports a snap whose chain ends in that root', async () => {
    const s = signedSnap({ name: 'hello', revision: 3 })
    const push = await runCli([
      'push-snap',
      await writeFixture(dir, 'hello_3.snap', s.snap),
      await writeFixture(dir, 'hello_3.assert', s.assert),
      ...admin(),
    ])
    expect(push.stderr).toBe('')
    expect(push.code).toBe(0)
  })

  it('names the missing account-key, how to get it and where to put it', async () => {
    const s = signedSnap({ name: 'lonely', revision: 1 })
    // The store key's account-key left out of the upload: nothing vouches for the store's signatures.
    const kept = parseAssertions(s.assert).filter((a) => !(a.type.name === 'account-key' && a.primaryKey[0] === TEST_STORE_KEY_ID))
    const assert = Buffer.concat(kept.flatMap((a) => [a.bytes, Buffer.from('\n')]))
    const before = (await runCli(['list', 'snaps', '--json', ...admin()])).stdout
    const push = await runCli([
      'push-snap',
      await writeFixture(dir, 'lonely_1.snap', s.snap),
      await writeFixture(dir, 'lonely_1.assert', assert),
      ...admin(),
    ])
    expect(push.code).toBe(1)
    // One line for the refusal (then the CLI's count of refused files), no stack trace.
    const refusal = push.stderr.split('\n')[0]!
    expect(refusal).toMatch(/^airlock: refused: .*lonely_1\.assert: /)
    expect(refusal).toContain(`no account-key ${TEST_STORE_KEY_ID}`)
    expect(refusal).toContain(`snap known --remote account-key public-key-sha3-384=${TEST_STORE_KEY_ID}`)
    expect(refusal).toContain('--trusted-assertions')
    expect(push.stderr).not.toMatch(/\n\s+at /)
    expect((await runCli(['list', 'snaps', '--json', ...admin()])).stdout).toBe(before)
  })
})
