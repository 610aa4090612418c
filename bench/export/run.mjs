#!/usr/bin/env node
// bench/export: `airlock export charms` from a local Airlock, against `curl` fetching the same blobs
// one after another, side by side in one run. Target: export <= 1.25x curl.
//
//   node bench/export/run.mjs [--size 1GiB] [--reps 3] [--concurrency 4] [--quiet-wait 30]
//        [--variant LABEL=ROOT ...]   (several built checkouts side by side in each repetition: each runs
//                                     ROOT/bin/airlock.js export against the same server and the same
//                                     curl timing; default: this checkout alone)
//
// Setup (untimed): bench/import/make-export.mjs generates a charm export of --size (4 charms, two
// incompressible file resources each), a fresh `airlock serve` (embedded PGlite) imports it with
// push-charms, and the blob URLs are read from the refresh API as Juju would ask for them.
// Then, per repetition, interleaved so a slow spell on the machine hits both sides:
//   curl     `curl -sS -o FILE URL` for each blob (charms and resources), one after another, into a
//            fresh directory; timed from the first spawn to the last exit.
//   airlock  `airlock export charms CHARMS.yaml --from <server>` into a fresh directory; timed from
//            spawn to exit: resolution, info and assertion calls, verified downloads, the tarballs.
//            With --variant, once per variant, in the order given.
// `sync` runs (untimed) before each timed section. Medians and the ratio are printed and saved to
// bench/export/out/results-*.json. Use a small --size (e.g. 32MiB) only to smoke-test the script.
import { spawn, spawnSync } from 'node:child_process'
import { writeFileSync, mkdirSync } from 'node:fs'
import { mkdtemp, rm, stat, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { performance } from 'node:perf_hooks'
import { makeExport, parseSize } from '../import/make-export.mjs'
import { jsonLineUrl, log, median, startProcess, waitQuiet } from '../lib/processes.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(HERE, '..', '..')
const BIN = join(ROOT, 'bin/airlock.js')
const OUT = join(HERE, 'out')

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '1GiB' },
    reps: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '4' },
    'quiet-wait': { type: 'string', default: '30' },
    variant: { type: 'string', multiple: true },
  },
})
const VARIANTS = (args.variant ?? [`airlock=${ROOT}`]).map((v) => {
  const m = /^([^=]+)=(.+)$/.exec(v)
  if (!m) throw new Error(`--variant ${v}: expected LABEL=ROOT`)
  return { label: m[1], bin: join(resolve(m[2]), 'bin/airlock.js') }
})
const SIZE = parseSize(args.size)
const REPS = Number(args.reps)

function run(cmd, argv) {
  return new Promise((ok, fail) => {
    const p = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    p.stderr.on('data', (d) => {
      err += d
    })
    p.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`${cmd} ${argv.join(' ')} exited ${code}: ${err.slice(-500)}`))))
  })
}

async function timed(fn) {
  spawnSync('sync')
  if (Number(args['quiet-wait']) > 0) await waitQuiet({ timeoutS: Number(args['quiet-wait']) })
  const t0 = performance.now()
  await fn()
  return (performance.now() - t0) / 1000
}

async function blobUrls(url, names) {
  const urls = []
  for (const name of names) {
    const res = await fetch(`${url}/v2/charms/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        context: [],
        actions: [
          {
            action: 'install',
            'instance-key': 'k',
            name,
            channel: 'stable',
            base: { name: 'ubuntu', channel: '22.04', architecture: 'amd64' },
          },
        ],
        fields: ['download', 'resources', 'id', 'revision'],
      }),
    })
    const charm = (await res.json()).results[0].charm
    urls.push(charm.download.url, ...charm.resources.map((r) => r.download.url))
  }
  return urls
}

const work = await mkdtemp(join(tmpdir(), 'airlock-bench-export-'))
let server
try {
  log(`generating a ${args.size} charm export`)
  const exportFile = join(work, 'input.tar.gz')
  await makeExport({ out: exportFile, size: SIZE, level: 1 })
  const dataDir = join(work, 'data')
  server = await startProcess(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir], {
    logFile: join(work, 'server.log'),
    ready: jsonLineUrl('airlock listening'),
  })
  log(`importing into ${server.url}`)
  await run(process.execPath, [BIN, 'push-charms', exportFile, '--url', server.url, '--data-dir', dataDir])
  await rm(exportFile)
  const names = Array.from({ length: 4 }, (_, i) => `bench-charm${i}`)
  const charmsYaml = join(work, 'charms.yaml')
  writeFileSync(charmsYaml, `applications:\n${names.map((n) => `  ${n}:\n    charm: ${n}\n    channel: latest/stable\n`).join('')}`)
  const urls = await blobUrls(server.url, names)

  const rounds = []
  for (let rep = 0; rep < REPS; rep++) {
    const curlDir = await mkdtemp(join(work, 'curl-'))
    const curl = await timed(async () => {
      for (const [i, u] of urls.entries()) await run('curl', ['-sS', '-o', join(curlDir, `blob${i}`), u])
    })
    let bytes = 0
    for (const f of await readdir(curlDir)) bytes += (await stat(join(curlDir, f))).size
    await rm(curlDir, { recursive: true })
    const times = {}
    for (const v of VARIANTS) {
      const exportDir = await mkdtemp(join(work, 'export-'))
      times[v.label] = await timed(() =>
        run(process.execPath, [
          v.bin,
          'export',
          'charms',
          charmsYaml,
          '--from',
          server.url,
          '--export-dir',
          exportDir,
          '--concurrency',
          args.concurrency,
          '--json',
        ]),
      )
      await rm(exportDir, { recursive: true })
    }
    rounds.push({ curl, ...times, bytes })
    log(
      `rep ${rep + 1}: curl ${curl.toFixed(2)} s, ${VARIANTS.map((v) => `${v.label} ${times[v.label].toFixed(2)} s (${(times[v.label] / curl).toFixed(2)}x)`).join(', ')} for ${(bytes / 2 ** 20).toFixed(0)} MiB`,
    )
  }
  const c = median(rounds.map((r) => r.curl))
  const medians = {}
  for (const v of VARIANTS) medians[v.label] = median(rounds.map((r) => r[v.label]))
  // The ratio per variant is the median of the per-repetition ratios (each against the curl run beside it).
  const ratios = {}
  for (const v of VARIANTS) ratios[v.label] = median(rounds.map((r) => r[v.label] / r.curl))
  console.log(
    `\n| blobs | curl one after another | ${VARIANTS.map((v) => `airlock export (${v.label})`).join(' | ')} | ratio (target <= 1.25x) |\n|---|---|${VARIANTS.map(() => '---|').join('')}---|\n| ${args.size} (${urls.length} files) | ${c.toFixed(2)} s | ${VARIANTS.map((v) => `${medians[v.label].toFixed(2)} s`).join(' | ')} | ${VARIANTS.map((v) => `${v.label} ${ratios[v.label].toFixed(2)}x`).join(', ')} |`,
  )
  mkdirSync(OUT, { recursive: true })
  writeFileSync(
    join(OUT, `results-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
    JSON.stringify(
      { size: args.size, concurrency: Number(args.concurrency), variants: VARIANTS, rounds, median: { curl: c, ...medians }, ratios },
      null,
      2,
    ),
  )
} finally {
  await server?.stop()
  await rm(work, { recursive: true, force: true })
}
