// A real OCI registry for tests (Debian's docker-registry, distribution 2.8) on a free port with its
// own config and storage; optional TLS, htpasswd Basic auth, or the Docker token flow with a token
// server run here. Plus image fixtures: an OCI layout written by hand (a tiny config, random-byte
// gzip layers), turned into archives and inspected with Debian's skopeo.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { createHash, createPrivateKey, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { SignJWT } from 'jose'

export const USER = 'pusher'
export const PASSWORD = 's3cret'
// bcrypt of PASSWORD at cost 4 (distribution's htpasswd accepts only bcrypt), made once with
// python3 -c "import crypt; print(crypt.crypt('s3cret', crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))"
const HTPASSWD = `${USER}:$2b$04$WD5NxznXuiDlzZdk/drGvualMgGFlv34Lk2K8noeGEIboCUBNE7Le\n`

export interface Registry {
  /** host:port, as pushed to and written into local references. */
  readonly host: string
  readonly dir: string
  /** PEM of the CA that signed the registry's TLS certificate (tls only). */
  readonly caFile?: string
  readonly logs: string[]
  stop(): Promise<void>
}

export function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

export async function freePort(): Promise<number> {
  const srv = net.createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const port = (srv.address() as net.AddressInfo).port
  await new Promise((r) => srv.close(r))
  return port
}

async function waitForPort(port: number, proc: ChildProcess, logs: string[]): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited ${proc.exitCode}:\n${logs.join('')}`)
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy()
        r(true)
      })
      s.on('error', () => r(false))
    })
    if (ok) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`docker-registry did not listen:\n${logs.join('')}`)
}

async function selfSigned(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.crt`)
  const key = join(dir, `${name}.key`)
  const r = await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-keyout',
    key,
    '-out',
    cert,
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ])
  if (r.code !== 0) throw new Error(`openssl: ${r.stderr}`)
  return { cert, key }
}

/** The Docker token flow's token server: Basic credentials in, a JWT distribution 2.8 accepts out. */
async function tokenServer(dir: string, service: string): Promise<{ realm: string; certFile: string; close(): void }> {
  const { cert, key } = await selfSigned(dir, 'token')
  const signingKey = createPrivateKey(await readFile(key))
  const x5c = (await readFile(cert, 'utf8')).replace(/-----[^-]+-----|\s/g, '')
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const [user, pass] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64')
      .toString()
      .split(':')
    if (user !== USER || pass !== PASSWORD) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"bad credentials"}')
      return
    }
    const access = url.searchParams.getAll('scope').map((s) => {
      const [type, name, actions] = s.split(':')
      return { type, name, actions: (actions ?? '').split(',') }
    })
    const token = await new SignJWT({ access })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c: [x5c] })
      .setIssuer('airlock-test-issuer')
      .setSubject(USER)
      .setAudience(url.searchParams.get('service') ?? service)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime('5m')
      .setJti(randomBytes(8).toString('hex'))
      .sign(signingKey)
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300 }))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { realm: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/token`, certFile: cert, close: () => server.close() }
}

export async function startRegistry(opts: { auth?: 'htpasswd' | 'token'; tls?: boolean } = {}): Promise<Registry> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-registry-'))
  const port = await freePort()
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  secret: airlock-test-secret',
  ]
  let caFile: string | undefined
  if (opts.tls) {
    const { cert, key } = await selfSigned(dir, 'tls')
    lines.push('  tls:', `    certificate: ${cert}`, `    key: ${key}`)
    caFile = cert
  }
  let tokens: Awaited<ReturnType<typeof tokenServer>> | undefined
  if (opts.auth === 'htpasswd') {
    await writeFile(join(dir, 'htpasswd'), HTPASSWD)
    lines.push('auth:', '  htpasswd:', '    realm: airlock-test', `    path: ${join(dir, 'htpasswd')}`)
  } else if (opts.auth === 'token') {
    tokens = await tokenServer(dir, 'airlock-test-registry')
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${tokens.realm}`,
      '    service: airlock-test-registry',
      '    issuer: airlock-test-issuer',
      `    rootcertbundle: ${tokens.certFile}`,
    )
  }
  await writeFile(join(dir, 'config.yml'), lines.join('\n') + '\n')
  const logs: string[] = []
  const proc = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] })
  proc.stdout!.on('data', (d) => logs.push(String(d)))
  proc.stderr!.on('data', (d) => logs.push(String(d)))
  await waitForPort(port, proc, logs)
  return {
    host: `127.0.0.1:${port}`,
    dir,
    logs,
    ...(caFile ? { caFile } : {}),
    async stop() {
      tokens?.close()
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r))
        proc.kill('SIGTERM')
        await exited
      }
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export interface TestImage {
  readonly dir: string
  /** sha256:… of the manifest. */
  readonly digest: string
  readonly manifest: Buffer
  readonly config: { readonly digest: string; readonly size: number }
  readonly layers: ReadonlyArray<{ digest: string; size: number; file: string }>
}

function tarOf(name: string, data: Buffer): Buffer {
  const h = Buffer.alloc(512)
  h.write(name, 0)
  h.write('0000644\0', 100)
  h.write('0000000\0', 108)
  h.write('0000000\0', 116)
  h.write(data.length.toString(8).padStart(11, '0') + '\0', 124)
  h.write('00000000000\0', 136)
  h.write('        ', 148)
  h.write('0', 156)
  h.write('ustar\0', 257)
  h.write('00', 263)
  h.write(
    h
      .reduce((s, b) => s + b, 0)
      .toString(8)
      .padStart(6, '0') + '\0 ',
    148,
  )
  return Buffer.concat([h, data, Buffer.alloc((512 - (data.length % 512)) % 512), Buffer.alloc(1024)])
}

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`

/** An OCI image layout written by hand: a config and `layerSizes.length` random-byte layers. */
export async function buildOciLayout(dir: string, opts: { layerSizes?: number[]; gzip?: boolean } = {}): Promise<TestImage> {
  const blobs = join(dir, 'blobs/sha256')
  await mkdir(blobs, { recursive: true })
  const put = async (b: Buffer) => {
    const d = sha(b)
    await writeFile(join(blobs, d.slice(7)), b)
    return { digest: d, size: b.length, file: join(blobs, d.slice(7)) }
  }
  const layers = []
  const diffIds = []
  for (const [i, size] of (opts.layerSizes ?? [4096, 20_000]).entries()) {
    const tar = tarOf(`layer-${i}.bin`, randomBytes(size))
    diffIds.push(sha(tar))
    layers.push(await put(opts.gzip === false ? tar : gzipSync(tar, { level: 1 })))
  }
  const config = await put(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Entrypoint: ['/layer-0.bin'] },
        rootfs: { type: 'layers', diff_ids: diffIds },
      }),
    ),
  )
  const layerType = opts.gzip === false ? 'application/vnd.oci.image.layer.v1.tar' : 'application/vnd.oci.image.layer.v1.tar+gzip'
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.size },
      layers: layers.map((l) => ({ mediaType: layerType, digest: l.digest, size: l.size })),
    }),
  )
  const m = await put(manifest)
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: m.digest, size: m.size }],
    }),
  )
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}')
  return { dir, digest: m.digest, manifest, config, layers }
}

export async function skopeo(...args: string[]): Promise<string> {
  const r = await run('skopeo', ['--insecure-policy', ...args])
  if (r.code !== 0) throw new Error(`skopeo ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

/** `skopeo copy oci:DIR oci-archive:OUT` (or docker-archive:OUT[:name]). */
export async function archiveOf(
  layoutDir: string,
  out: string,
  format: 'oci-archive' | 'docker-archive' = 'oci-archive',
  name?: string,
): Promise<string> {
  // skopeo would gzip uncompressed layers on the way into an OCI layout, changing the digest.
  const keep = format === 'oci-archive' ? ['--preserve-digests', '--dest-oci-accept-uncompressed-layers'] : []
  await skopeo('copy', '-q', ...keep, `oci:${layoutDir}`, `${format}:${out}${name ? `:${name}` : ''}`)
  return out
}

/** The raw manifest the registry holds for REF (host/repo@digest or :tag), over plain http. */
export async function inspectRaw(ref: string, tlsVerify = false): Promise<string> {
  return skopeo('inspect', `--tls-verify=${tlsVerify}`, '--raw', `docker://${ref}`)
}
