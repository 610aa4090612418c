#!/usr/bin/env node
// bench/push-images: `airlock push-images` against `skopeo copy oci-archive:… docker://…`, the same
// ~500 MiB image archive pushed to the same kind of fresh registry, in one run.
//
//   node bench/push-images/run.mjs [--size 500MiB] [--runs 3]
//
// Once: build the archive (make-image.mjs; kept in out/ for later runs), start `airlock serve` on a
// temp data dir and push a tiny charm export whose oci-image resource names the image's digest.
// Then per run, for each tool (order alternates between runs): a fresh Debian docker-registry on a
// free port with empty storage, `sync`, and the push timed from spawn to exit under /usr/bin/time
// (peak RSS). After each push the registry must answer the manifest by digest. Medians, MiB/s of
// blob bytes, and airlock/skopeo throughput are printed and saved to out/results-*.json.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import { cpus, tmpdir, totalmem } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { gzipSync } from 'node:zlib'
import tar from 'tar-stream'
import yazl from 'yazl'
import { makeImageArchive, parseSize } from './make-image.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(HERE, '..', '..')
const OUT = join(HERE, 'out')
const BIN = join(ROOT, 'bin', 'airlock.js')
const REPO = 'charm/benchbenchbenchbenchbenchbenchbench1/bench-image'
const { values: args } = parseArgs({ options: { size: { type: 'string', default: '500MiB' }, runs: { type: 'string', default: '3' } } })
const log = (m) => process.stderr.write(`${m}\n`)
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const n = s.length
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
}

async function freePort() {
  const srv = net.createServer()
  await new Promise((r) => srv.listen(0, '127.0.0.1', r))
  const { port } = srv.address()
  await new Promise((r) => srv.close(r))
  return port
}

async function startRegistry() {
  const dir = await mkdtemp(join(tmpdir(), 'bench-registry-'))
  const port = await freePort()
  await writeFile(
    join(dir, 'config.yml'),
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: 127.0.0.1:${port}\n  secret: bench\n`,
  )
  const proc = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' })
  for (let i = 0; ; i++) {
    const ok = await new Promise((r) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy()
        r(true)
      })
      s.on('error', () => r(false))
    })
    if (ok) break
    if (i > 200 || proc.exitCode !== null) throw new Error('docker-registry did not start')
    await sleep(50)
  }
  return {
    host: `127.0.0.1:${port}`,
    async stop() {
      proc.kill('SIGTERM')
      await new Promise((r) => proc.once('exit', r))
      await rm(dir, { recursive: true, force: true })
    },
  }
}

async function startServer(dataDir) {
  const proc = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir], {
    env: { ...process.env, AIRLOCK_OCI_REGISTRY_DOMAIN: 'registry.bench:5000', AIRLOCK_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const url = await new Promise((res, rej) => {
    createInterface({ input: proc.stdout }).on('line', (l) => {
      try {
        const j = JSON.parse(l)
        if (j.url) res(j.url)
      } catch {
        /* not JSON */
      }
    })
    proc.once('exit', (c) => rej(new Error(`airlock serve exited ${c}`)))
    setTimeout(() => {
      proc.kill()
      rej(new Error('airlock serve did not log its URL within 60 s'))
    }, 60_000).unref()
  })
  return {
    url,
    stop: () => {
      proc.kill('SIGTERM')
      return new Promise((r) => proc.once('exit', r))
    },
  }
}

async function tarBuffer(members, gzip) {
  const pack = tar.pack()
  for (const [name, data] of members) pack.entry({ name, mtime: new Date('2024-01-01T00:00:00Z') }, data)
  pack.finalize()
  const parts = []
  for await (const c of pack) parts.push(c)
  return gzip ? gzipSync(Buffer.concat(parts)) : Buffer.concat(parts)
}

/** A store-admin-shaped export with one Kubernetes charm whose oci-image resource names `digest`. */
async function charmExport(digest) {
  const zip = new yazl.ZipFile()
  zip.addBuffer(
    Buffer.from('name: bench-k8s\nsummary: bench\ndescription: bench\nresources:\n  image:\n    type: oci-image\n'),
    'metadata.yaml',
  )
  zip.addBuffer(Buffer.from("bases:\n  - name: ubuntu\n    channel: '22.04'\n    architectures: [amd64]\n"), 'manifest.yaml')
  zip.end()
  const parts = []
  for await (const c of zip.outputStream) parts.push(c)
  const inner = await tarBuffer(
    [
      ['bench-k8s_1.charm', Buffer.concat(parts)],
      ['resources/bench-k8s.image_1', Buffer.from(JSON.stringify({ ImageName: `registry.jujucharms.com/${REPO}@${digest}` }))],
    ],
    true,
  )
  return tarBuffer(
    [
      ['bundle.yaml', Buffer.from('applications:\n  bench-k8s:\n    charm: bench-k8s\n')],
      ['bench-k8s.tar.gz', inner],
    ],
    true,
  )
}

/** Runs argv under /usr/bin/time; returns wall seconds and peak RSS (MiB). */
async function timed(argv, env = {}) {
  const rssFile = join(tmpdir(), `bench-rss-${process.pid}`)
  const t0 = performance.now()
  const r = await new Promise((res) => {
    const p = spawn('/usr/bin/time', ['-f', '%M', '-o', rssFile, ...argv], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    p.stdout.on('data', (d) => {
      out += d
    })
    p.stderr.on('data', (d) => {
      out += d
    })
    p.on('exit', (code) => res({ code, out }))
  })
  const seconds = (performance.now() - t0) / 1000
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (${r.code}):\n${r.out}`)
  const rssMiB = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024
  await rm(rssFile, { force: true })
  return { seconds, rssMiB }
}

async function manifestDigest(host, ref) {
  const res = await globalThis.fetch(`http://${host}/v2/${REPO}/manifests/${ref}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
  })
  return res.ok ? res.headers.get('docker-content-digest') : null
}

if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('run `npm run build` first')
const size = parseSize(args.size)
const archive = join(OUT, `image-${args.size}.tar`)
const metaFile = `${archive}.json`
if (!existsSync(archive) || !existsSync(metaFile)) {
  log(`building ${archive} ...`)
  await writeFile(metaFile, JSON.stringify(await makeImageArchive({ out: archive, size })))
}
const meta = JSON.parse(await readFile(metaFile, 'utf8'))
const dataDir = await mkdtemp(join(tmpdir(), 'bench-airlock-'))
const server = await startServer(dataDir)
const exportFile = join(dataDir, 'export.tar.gz')
await writeFile(exportFile, await charmExport(meta.digest))
const pushed = spawnSync(process.execPath, [BIN, 'push-charms', exportFile, '--url', server.url, '--data-dir', dataDir], {
  encoding: 'utf8',
})
if (pushed.status !== 0) throw new Error(`push-charms: ${pushed.stderr}`)

const tools = {
  airlock: (host) => [
    process.execPath,
    BIN,
    'push-images',
    archive,
    '--registry',
    host,
    '--insecure',
    '--url',
    server.url,
    '--data-dir',
    dataDir,
  ],
  skopeo: (host) => [
    'skopeo',
    '--insecure-policy',
    'copy',
    '-q',
    '--dest-tls-verify=false',
    `oci-archive:${archive}`,
    `docker://${host}/${REPO}:bench`,
  ],
}
const results = { airlock: [], skopeo: [] }
try {
  for (let run = 0; run < Number(args.runs); run++) {
    for (const name of run % 2 === 0 ? ['airlock', 'skopeo'] : ['skopeo', 'airlock']) {
      const reg = await startRegistry()
      try {
        spawnSync('sync')
        const r = await timed(tools[name](reg.host))
        const got = await manifestDigest(reg.host, meta.digest)
        if (got !== meta.digest) throw new Error(`${name}: the registry does not hold ${meta.digest} after the push (got ${got})`)
        results[name].push(r)
        log(
          `run ${run + 1} ${name.padEnd(7)} ${r.seconds.toFixed(2)} s  ${(meta.payload / 2 ** 20 / r.seconds).toFixed(1)} MiB/s  peak RSS ${r.rssMiB.toFixed(0)} MiB`,
        )
      } finally {
        await reg.stop()
      }
    }
  }
} finally {
  await server.stop()
  await rm(dataDir, { recursive: true, force: true })
}

const summary = Object.fromEntries(
  Object.entries(results).map(([k, rs]) => {
    const s = median(rs.map((r) => r.seconds))
    return [
      k,
      {
        runs: rs.map((r) => Number(r.seconds.toFixed(3))),
        medianSeconds: Number(s.toFixed(3)),
        MiBps: Number((meta.payload / 2 ** 20 / s).toFixed(1)),
        peakRssMiB: Math.max(...rs.map((r) => Math.round(r.rssMiB))),
      },
    ]
  }),
)
const ratio = summary.airlock.MiBps / summary.skopeo.MiBps
const skopeoVersion = spawnSync('skopeo', ['--version'], { encoding: 'utf8' }).stdout.trim()
const report = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30) },
  node: process.version,
  skopeoVersion,
  archive: { bytes: meta.payload, layers: meta.layers, digest: meta.digest },
  ...summary,
  throughputRatio: Number(ratio.toFixed(2)),
}
await writeFile(join(OUT, `results-${report.date.replace(/[:.]/g, '-')}.json`), JSON.stringify(report, null, 2))
console.log(`\n${(meta.payload / 2 ** 20).toFixed(0)} MiB in ${meta.layers} layers, ${args.runs} runs each, fresh registry per run`)
console.log('tool     median s   MiB/s   peak RSS MiB   runs (s)')
for (const [k, s] of Object.entries(summary))
  console.log(
    `${k.padEnd(8)} ${s.medianSeconds.toFixed(2).padStart(8)} ${s.MiBps.toFixed(1).padStart(7)} ${String(s.peakRssMiB).padStart(14)}   ${s.runs.join(', ')}`,
  )
console.log(`airlock / skopeo throughput: ${ratio.toFixed(2)}x (target >= 0.8x)`)
