#!/usr/bin/env node
// Writes an image archive for bench/push-images, as an operator would carry one across the gap:
// an OCI layout written by hand (a small config, layers of random bytes in stored-deflate gzip, so
// they are valid gzip that neither tool recompresses), then `skopeo copy oci:DIR oci-archive:OUT`.
//
//   node bench/push-images/make-image.mjs --size 500MiB --layers 200,150,100,40,10 --out FILE.tar
//
// --layers are relative weights; the layers' payload adds up to --size. Memory stays flat: random
// bytes are produced, gzipped and hashed one 1 MiB chunk at a time.
import { spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import { createGzip } from 'node:zlib'

const CHUNK = 1 << 20

export function parseSize(s) {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB)?$/i.exec(String(s).trim())
  if (!m) throw new Error(`not a size: ${s}`)
  return Math.round(Number(m[1]) * { B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[(m[2] ?? 'B').toUpperCase()[0]])
}

function hashing(hash, counter) {
  return new Transform({
    transform(chunk, _e, cb) {
      hash.update(chunk)
      counter.n += chunk.length
      cb(null, chunk)
    },
  })
}

/** One layer file in DIR/blobs/sha256; returns its descriptor. */
async function writeLayer(blobs, size) {
  const tmp = join(blobs, `tmp-${randomBytes(6).toString('hex')}`)
  const hash = createHash('sha256')
  const counter = { n: 0 }
  let left = size
  const random = Readable.from(
    (async function* () {
      while (left > 0) {
        const n = Math.min(CHUNK, left)
        left -= n
        yield randomBytes(n)
      }
    })(),
  )
  await pipeline(random, createGzip({ level: 0, chunkSize: CHUNK }), hashing(hash, counter), createWriteStream(tmp))
  const digest = `sha256:${hash.digest('hex')}`
  await rename(tmp, join(blobs, digest.slice(7)))
  return { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size: counter.n }
}

/** Writes the archive to `out`; returns { digest, bytes } of the image manifest and the archive. */
export async function makeImageArchive({ out, size, weights = [200, 150, 100, 40, 10] }) {
  const dir = `${out}.layout`
  const blobs = join(dir, 'blobs', 'sha256')
  await rm(dir, { recursive: true, force: true })
  await mkdir(blobs, { recursive: true })
  const total = weights.reduce((a, b) => a + b, 0)
  const sizes = weights.map((w) => Math.floor((size * w) / total))
  sizes[0] += size - sizes.reduce((a, b) => a + b, 0)
  const layers = []
  for (const s of sizes) layers.push(await writeLayer(blobs, s))
  const put = async (text) => {
    const digest = `sha256:${createHash('sha256').update(text).digest('hex')}`
    await writeFile(join(blobs, digest.slice(7)), text)
    return { digest, size: Buffer.byteLength(text) }
  }
  const config = await put(
    JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } }),
  )
  const manifest = await put(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers,
    }),
  )
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest }] }),
  )
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}')
  await mkdir(dirname(out), { recursive: true })
  await rm(out, { force: true })
  const r = spawnSync('skopeo', ['--insecure-policy', 'copy', '-q', '--preserve-digests', `oci:${dir}`, `oci-archive:${out}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  if (r.status !== 0) throw new Error('skopeo copy oci: → oci-archive: failed')
  await rm(dir, { recursive: true, force: true })
  return { digest: manifest.digest, layers: layers.length, payload: layers.reduce((n, l) => n + l.size, 0) + config.size }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '500MiB' },
      layers: { type: 'string', default: '200,150,100,40,10' },
      out: { type: 'string' },
    },
  })
  const out = values.out ?? join(dirname(new URL(import.meta.url).pathname), 'out', `image-${values.size}.tar`)
  const r = await makeImageArchive({ out, size: parseSize(values.size), weights: values.layers.split(',').map(Number) })
  process.stdout.write(`${out}: manifest ${r.digest}, ${r.layers} layers, ${r.payload} blob bytes\n`)
}
