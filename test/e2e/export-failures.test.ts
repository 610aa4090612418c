// `airlock export` against bad upstreams and bad input, as a table: a small fake Charmhub on loopback
// misbehaves one way per case; each must end with one clear line on stderr, exit 1 and nothing left
// in the export dir (not even the staging directory).
import { mkdtemp, readdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { fakeUpstream, type FakeUpstream } from '../support/fake-upstream.js'
import { spawn } from 'node:child_process'
import { BIN, ensureBuilt, removeDir, runCli } from '../support/server-process.js'

let work: string
const dirs: string[] = []
const newDir = async (prefix: string) => {
  const d = await mkdtemp(join(tmpdir(), prefix))
  dirs.push(d)
  return d
}
beforeAll(async () => {
  ensureBuilt()
  work = await newDir('airlock-export-bad-work-')
})
afterAll(async () => {
  for (const d of dirs) await removeDir(d)
})

describe('bad upstreams and inputs: one line, exit 1, no file left', () => {
  let fake: FakeUpstream
  let cdn: FakeUpstream
  beforeAll(async () => {
    cdn = await fakeUpstream('ok')
    fake = await fakeUpstream('ok', cdn.url)
  })
  afterAll(async () => {
    await fake?.close()
    await cdn?.close()
  })

  const cases: Array<[string, string, RegExp]> = [
    [
      'wrong-hash',
      'the charm download does not match its sha256',
      /charm fake revision 1: sha256 mismatch: the store said [0-9a-f]{64}, the download has [0-9a-f]{64}$/,
    ],
    [
      'truncated',
      'the download stops half-way, every time',
      /charm fake revision 1: (truncated download|connection lost after) .*gave up after 2 attempts\)$/,
    ],
    ['oversize', 'the download is longer than the store said', /charm fake revision 1: the download is \d+ bytes, but the store said \d+$/],
    [
      'malformed-json',
      'the refresh answer is not JSON',
      /application fake: malformed JSON from http:\/\/127\.0\.0\.1:\d+\/v2\/charms\/refresh/,
    ],
    ['unknown-name', 'the store does not know the charm', /application fake: charm fake: not found in http:\/\/127\.0\.0\.1:\d+$/],
    ['redirect-loop', 'the download redirects to itself', /charm fake revision 1: more than 10 redirects from .* \(a redirect loop\?\)$/],
    [
      'endless-503',
      'the store answers 503 with Retry-After: 0, forever',
      /application fake: 127\.0\.0\.1:\d+ answered HTTP 503 \(gave up after 2 attempts\)$/,
    ],
    [
      'hostile-message',
      'the store error message carries a terminal escape and a line break',
      /application fake: charm fake: no revision in channel stable for ubuntu@22\.04\/amd64 \(weird: evil\\u001b\[2J\\u000asecond line\)$/,
    ],
    [
      'missing-hash',
      'the refresh answer has no sha256 for the charm',
      /application fake: the store's refresh answer is malformed: charm\.download\.hash-sha-256 is missing$/,
    ],
  ]

  it.each(cases)('%s: %s', async (mode, _what, message) => {
    fake.mode = mode
    const dir = await newDir('airlock-export-bad-')
    const input = join(work, 'fake.yaml')
    await writeFile(input, stringify({ applications: { fake: { charm: 'fake' } } }))
    const r = await runCli(['export', 'charms', input, '--from', fake.url, '--export-dir', dir, '--json', '--retries', '2'])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1)
    expect(r.stderr.trim()).toMatch(/^airlock: /)
    expect(r.stderr.trim()).toMatch(message)
    expect(await readdir(dir)).toEqual([])
  })

  it('follows a redirect to another loopback host:port that serves the right bytes', async () => {
    fake.mode = 'redirect-elsewhere'
    const dir = await newDir('airlock-export-cdn-')
    const input = join(work, 'fake.yaml')
    await writeFile(input, stringify({ applications: { fake: { charm: 'fake' } } }))
    const r = await runCli(['export', 'charms', input, '--from', fake.url, '--export-dir', dir, '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect((await readdir(dir)).map((f) => f.replace(/\d{8}T\d{6}/, 'TS'))).toEqual(['charms-export-TS.tar.gz'])
    expect(cdn.downloads).toBeGreaterThan(0)
  })

  const inputs: Array<[string, string, RegExp]> = [
    ['not YAML', 'applications: [unclosed', /charms\.yaml: invalid YAML: /],
    ['names nothing', 'description: nothing here\n', /charms\.yaml: names no charm/],
    [
      'a charm without a name',
      'applications:\n  a: {channel: stable}\n',
      /charms\.yaml \(applications\.a\.charm\): expected a charm name$/,
    ],
  ]
  it.each(inputs)('a CHARMS.yaml that is %s', async (_what, text, message) => {
    const dir = await newDir('airlock-export-input-')
    const input = join(await newDir('airlock-export-in-'), 'charms.yaml')
    await writeFile(input, text)
    const r = await runCli(['export', 'charms', input, '--from', fake.url, '--export-dir', dir])
    expect(r.code).toBe(1)
    expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1)
    expect(r.stderr.trim()).toMatch(message)
    expect(await readdir(dir)).toEqual([])
  })

  it('an export dir that is not writable', async () => {
    const input = join(work, 'fake.yaml')
    await writeFile(input, stringify({ applications: { fake: { charm: 'fake' } } }))
    fake.mode = 'ok'
    // Root may write anywhere a mode allows nothing; sysfs refuses new files even to root.
    let dir = '/sys/kernel'
    if (process.getuid?.() !== 0) {
      dir = await newDir('airlock-export-ro-')
      const { chmod } = await import('node:fs/promises')
      await chmod(dir, 0o555)
    }
    const r = await runCli(['export', 'charms', input, '--from', fake.url, '--export-dir', dir])
    expect(r.code).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/--export-dir .*: not writable|--export-dir .*: /)
  })

  it('resumes a download that lost its connection with Range, and the result verifies', async () => {
    fake.mode = 'drop-once'
    const dir = await newDir('airlock-export-range-')
    const input = join(work, 'fake.yaml')
    await writeFile(input, stringify({ applications: { fake: { charm: 'fake' } } }))
    const r = await runCli(['export', 'charms', input, '--from', fake.url, '--export-dir', dir, '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(fake.ranges).toHaveLength(1)
    expect(fake.ranges[0]).toMatch(/^bytes=[1-9]\d*-$/)
    expect(await readdir(dir)).toHaveLength(1)
  })

  it('SIGINT in the middle of a download removes everything staged', async () => {
    fake.mode = 'stall'
    const dir = await newDir('airlock-export-int-')
    const input = join(work, 'fake.yaml')
    await writeFile(input, stringify({ applications: { fake: { charm: 'fake' } } }))
    const proc = spawn(process.execPath, [BIN, 'export', 'charms', input, '--from', fake.url, '--export-dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    proc.stderr.on('data', (d) => {
      stderr += d
    })
    // Wait until the tarball the download goes into sits in the staging directory.
    const staged = async () =>
      (await readdir(dir, { recursive: true })).some((f) => /^\.airlock-export-[^/]+\/charms-export-.*\.tar\.gz$/.test(String(f)))
    for (let i = 0; i < 200 && !(await staged()); i++) await new Promise((r) => setTimeout(r, 100))
    expect(await staged()).toBe(true)
    const code = await new Promise<number | null>((r) => {
      proc.once('exit', (c) => r(c))
      proc.kill('SIGINT')
    })
    expect(code).toBe(130)
    expect(stderr).toMatch(/export interrupted \(SIGINT\); no tarball was written/)
    expect(await readdir(dir)).toEqual([])
  })

  it('usage errors exit 2', async () => {
    const r = await runCli(['export', 'snaps', '--from', fake.url])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/name at least one snap, or give --from-yaml FILE/)
  })
})
