// `airlock export` from an HTTPS upstream whose certificate comes from a private CA: trusted through
// NODE_EXTRA_CA_CERTS for the API calls and the downloads (the export's own client, on node:tls),
// redirected to an HTTPS CDN host; refused, in one line, without it.
import { execFileSync } from 'node:child_process'
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { fakeUpstream, type FakeUpstream } from '../support/fake-upstream.js'
import { ensureBuilt, removeDir, runCli } from '../support/server-process.js'

let work: string
let fake: FakeUpstream
let cdn: FakeUpstream
let caFile: string
let input: string

/** A CA and a localhost certificate it signs, made with the openssl CLI. */
function makeCertificates(dir: string): { ca: string; key: string; cert: string } {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=airlock test CA')
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'host.key', '-out', 'host.csr', '-subj', '/CN=localhost')
  const ext = join(dir, 'ext.cnf')
  execFileSync('sh', ['-c', `printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ${ext}`])
  run(
    'x509',
    '-req',
    '-in',
    'host.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'host.pem',
    '-days',
    '2',
    '-extfile',
    ext,
  )
  return { ca: join(dir, 'ca.pem'), key: join(dir, 'host.key'), cert: join(dir, 'host.pem') }
}

beforeAll(async () => {
  ensureBuilt()
  work = await mkdtemp(join(tmpdir(), 'airlock-export-https-'))
  const pem = makeCertificates(work)
  caFile = pem.ca
  const tls = { key: await readFile(pem.key, 'utf8'), cert: await readFile(pem.cert, 'utf8') }
  cdn = await fakeUpstream('ok', undefined, tls)
  fake = await fakeUpstream('redirect-elsewhere', cdn.url, tls)
  input = join(work, 'fake.yaml')
  await writeFile(input, stringify({ applications: { fake: { charm: 'fake' } } }))
})
afterAll(async () => {
  await fake?.close()
  await cdn?.close()
  await removeDir(work)
})

describe('export from an HTTPS upstream with a private CA', () => {
  it('trusts NODE_EXTRA_CA_CERTS for the API and the redirected download', async () => {
    const dir = await mkdtemp(join(work, 'ok-'))
    const r = await runCli(['export', 'charms', input, '--from', fake.url, '--export-dir', dir, '--json'], {
      NODE_EXTRA_CA_CERTS: caFile,
    })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(cdn.downloads).toBe(1)
    expect((await readdir(dir)).filter((f) => f.endsWith('.tar.gz'))).toHaveLength(1)
  })

  it('refuses the certificate without it: one line, exit 1, nothing written', async () => {
    const dir = await mkdtemp(join(work, 'refused-'))
    const r = await runCli(['export', 'charms', input, '--from', fake.url, '--export-dir', dir, '--json', '--retries', '1'], {
      NODE_EXTRA_CA_CERTS: '',
    })
    expect(r.code).toBe(1)
    expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1)
    expect(r.stderr).toMatch(/localhost:\d+.*(CERT|SIGNATURE|certificate)/i)
    expect(await readdir(dir)).toEqual([])
  })
})
