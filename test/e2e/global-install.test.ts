// Installed like a tool: `npm pack` of the checkout, `npm install -g --prefix <tmp> <tarball>`
// (dependencies from the registry), then the installed `airlock` from an unrelated directory: its
// compiled code, migrations and package.json are found next to it, not in the working directory.
import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBuilt, removeDir, ROOT, startServer } from '../support/server-process.js'

let tmp: string
let airlock: string
let elsewhere: string

beforeAll(async () => {
  ensureBuilt()
  tmp = await mkdtemp(join(tmpdir(), 'airlock-global-'))
  // dist/ is already built for the e2e tests: pack it as it is.
  const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: ROOT, encoding: 'utf8' })
  expect(pack.status, pack.stderr).toBe(0)
  const tarball = join(tmp, (JSON.parse(pack.stdout) as { filename: string }[])[0]!.filename)
  const prefix = join(tmp, 'prefix')
  const install = spawnSync('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', tarball], {
    cwd: tmp,
    encoding: 'utf8',
    timeout: 400_000,
  })
  expect(install.status, install.stderr).toBe(0)
  expect(install.stderr).not.toMatch(/EBADENGINE/)
  airlock = join(prefix, 'bin', 'airlock')
  elsewhere = join(tmp, 'elsewhere')
  await mkdir(elsewhere)
}, 420_000)
afterAll(async () => {
  if (tmp) await removeDir(tmp)
})

describe('npm install -g', () => {
  it('ships what the server needs and nothing of the build', async () => {
    const pkg = join(tmp, 'prefix', 'lib', 'node_modules', 'airlock')
    expect(await readdir(pkg)).toEqual(expect.arrayContaining(['bin', 'dist', 'migrations', 'package.json', 'packaging']))
    expect(await readdir(pkg)).not.toContain('src')
    expect(await readdir(join(pkg, 'dist'))).not.toContain('.tsbuildinfo')
  })

  it('puts a working airlock on PATH', () => {
    const r = spawnSync(airlock, ['--help'], { cwd: elsewhere, encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/serve/)
    expect(r.stdout).toMatch(/push-charms/)
  })

  it('serves from another directory, migrations included, and stops on SIGTERM', async () => {
    const server = await startServer({ command: [airlock, 'serve'], cwd: elsewhere, dataDir: join(tmp, 'data'), startTimeoutMs: 240_000 })
    try {
      const res = await fetch(`${server.url}/_status/check`)
      expect(res.status).toBe(200)
      expect(server.logs.join('\n')).toMatch(/"applied":\["0001_catalog"/)
      const find = await fetch(`${server.url}/v2/charms/find?q=x`)
      expect(find.status).toBe(200)
    } finally {
      expect(await server.stop()).toBe(0)
    }
    expect(await readdir(elsewhere)).toEqual([])
  }, 300_000)
})
