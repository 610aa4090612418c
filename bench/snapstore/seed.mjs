#!/usr/bin/env node
// Seeds an Airlock data dir with a synthetic Snap Store catalog straight through SQL (the importer
// would need 10,000 real .snap files and their assertions), for bench/snapstore/run.mjs.
//
//   node bench/snapstore/seed.mjs --snaps 5000 --out bench/snapstore/out/catalog-5000 [--blob-mib 64]
//
// Per snap: one package (type snap, namespace snapstore, a 32-character snap-id, publisher, summary,
// description, title, store details with links, media, categories and a licence), 2 revisions for
// amd64 (platforms [{"name":"","channel":"","architecture":"amd64"}], a ~1 KB snap.yaml, the
// importer's `extra`), each with its own blob row; latest/stable, candidate, beta and edge point at
// revision 2 (so a device at revision 1 always gets an update: the biggest answer). Blob rows are
// fake (random digests, plausible sizes) except one: snap 0's revision 2 is a real file of
// --blob-mib MiB of random bytes at <out>/blobs/sha256/<first2>/<sha256>, the download target.
// Everything but that file's bytes is deterministic (seeded PRNG).
//
// Needs `npm run build` (runs dist/storage/db/migrate.js's migrations, as the server does).
// Writes <out>/db (PGlite), <out>/blobs and <out>/seed.json (parameters, snap-ids, the blob).
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, existsSync, rmSync, renameSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { PGlite } from '@electric-sql/pglite'
import { Kysely } from 'kysely'
import { rng } from '../lib/rng.mjs'

export const SEED_FORMAT = 1

const WORDS = [
  'hello',
  'firefox',
  'lxd',
  'microk8s',
  'juju',
  'charmcraft',
  'multipass',
  'code',
  'vlc',
  'gimp',
  'inkscape',
  'kubectl',
  'helm',
  'go',
  'node',
  'postgresql',
  'redis',
  'nextcloud',
  'chromium',
  'thunderbird',
  'blender',
  'krita',
  'spotify',
  'slack',
  'zoom',
  'docker',
  'maas',
  'snapcraft',
  'core-utils',
  'obs-studio',
]

/** Snap i's name: unique, like the store's (lowercase, digits, dashes). */
export const snapName = (i) => `${WORDS[i % WORDS.length]}-bench-${i}`

const hex = (s, bytes) => {
  let out = ''
  for (let i = 0; out.length < bytes * 2; i++) out += createHash('sha256').update(`${s}#${i}`).digest('hex')
  return out.slice(0, bytes * 2)
}

/** A 32-character alphanumeric snap-id (the store's are base62; these are derived from the name). */
export function snapId(i) {
  const b = createHash('sha256')
    .update(`snap-id:${snapName(i)}`)
    .digest()
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
  let s = ''
  for (let k = 0; k < 32; k++) s += A[b[k] % A.length]
  return s
}

function snapYaml(name, word, version) {
  return `name: ${name}
version: '${version}'
summary: ${word[0].toUpperCase()}${word.slice(1)} packaged as a snap for the Airlock benchmark
description: |
  ${name} is a synthetic snap shaped like a real one: a few apps, plugs for the usual
  interfaces, a configure hook. Its snap.yaml is what snapd reads before the store's fields
  are overlaid on it.
base: core22
grade: stable
confinement: strict
architectures:
  - amd64
apps:
  ${word}:
    command: bin/${word}
    plugs: [home, network, network-bind, removable-media, desktop, wayland, x11, opengl, audio-playback]
  daemon:
    command: bin/${word}d --config $SNAP_COMMON/config.yaml
    daemon: simple
    restart-condition: always
    plugs: [network, network-bind, system-observe]
hooks:
  configure:
    plugs: [network]
plugs:
  content-themes:
    interface: content
    target: $SNAP/data-dir/themes
    default-provider: gtk-common-themes
`
}

/** The rows of snap i, one array per table. */
function snapRows(i, created) {
  const rand = rng(i + 1)
  const name = snapName(i)
  const word = WORDS[i % WORDS.length]
  const id = snapId(i)
  const publisherId = hex(`publisher:${word}`, 16)
  const pkg = [
    id,
    'snapstore',
    'snap',
    name,
    JSON.stringify({
      id: publisherId,
      username: `${word}-publisher`,
      'display-name': `The ${word} publisher`,
      validation: i % 3 === 0 ? 'verified' : 'unproven',
    }),
    `${word[0].toUpperCase()}${word.slice(1)} for the Airlock benchmark`,
    `${name} is one of the synthetic snaps of Airlock's Snap Store benchmark. Its description is shaped and sized like ` +
      `a real snap's: a paragraph or two on what ${word} does, how to connect its interfaces, where it keeps its data ` +
      `($SNAP_COMMON) and where to report problems.`,
    `${word[0].toUpperCase()}${word.slice(1)} ${i}`,
    JSON.stringify({
      license: 'Apache-2.0',
      contact: `https://github.com/example/${word}/issues`,
      website: `https://example.com/${word}`,
      links: {
        website: [`https://example.com/${word}`],
        source: [`https://github.com/example/${word}`],
        issues: [`https://github.com/example/${word}/issues`],
      },
      media: [
        { type: 'icon', url: `https://dashboard.snapcraft.io/site_media/appmedia/${word}-icon.png`, width: 256, height: 256 },
        { type: 'screenshot', url: `https://dashboard.snapcraft.io/site_media/appmedia/${word}-1.png`, width: 1280, height: 800 },
      ],
      categories: [
        { featured: false, name: 'development' },
        { featured: false, name: 'utilities' },
      ],
      'common-ids': [`io.example.${word.replace(/-/g, '')}`],
    }),
  ]
  const blobs = []
  const revs = []
  for (let r = 1; r <= 2; r++) {
    const sha256 = hex(`blob:${name}:${r}`, 32)
    const version = `${1 + (i % 7)}.${r}.${i % 10}`
    blobs.push([sha256, 4_000_000 + Math.floor(rand() * 200_000_000), hex(`384:${name}:${r}`, 48), hex(`3-384:${name}:${r}`, 48)])
    revs.push([
      id,
      r,
      version,
      sha256,
      JSON.stringify([{ name: '', channel: '', architecture: 'amd64' }]),
      snapYaml(name, word, version),
      JSON.stringify({
        confinement: 'strict',
        grade: 'stable',
        base: 'core22',
        type: 'app',
        epoch: { read: [0], write: [0] },
        store: 'ubuntu',
      }),
      new Date(created - (2 - r) * 86_400_000).toISOString(),
    ])
  }
  const rels = ['stable', 'candidate', 'beta', 'edge'].map((risk) => [
    id,
    'latest',
    risk,
    '',
    '',
    '',
    'amd64',
    2,
    new Date(created + 3_600_000).toISOString(),
  ])
  return { id, name, pkg, blobs, revs, rels }
}

async function insert(pg, table, columns, rows) {
  if (rows.length === 0) return
  const n = columns.length
  const values = rows.map((_, r) => `(${columns.map((_c, c) => `$${r * n + c + 1}`).join(',')})`).join(',')
  await pg.query(`INSERT INTO ${table} (${columns.join(',')}) VALUES ${values}`, rows.flat())
}

/** Writes `mib` MiB of random bytes under <out>/blobs; returns its digests. */
function writeRealBlob(out, mib) {
  const tmp = join(out, 'blob.tmp')
  const h = { sha256: createHash('sha256'), sha384: createHash('sha384'), sha3_384: createHash('sha3-384') }
  const fd = openSync(tmp, 'w')
  for (let k = 0; k < mib; k++) {
    const chunk = randomBytes(1 << 20)
    for (const x of Object.values(h)) x.update(chunk)
    writeSync(fd, chunk)
  }
  closeSync(fd)
  const d = Object.fromEntries(Object.entries(h).map(([k, x]) => [k, x.digest('hex')]))
  const dir = join(out, 'blobs', 'sha256', d.sha256.slice(0, 2))
  mkdirSync(dir, { recursive: true })
  rmSync(join(dir, d.sha256), { force: true })
  // rename, not copy: the file the servers read is the one just written (and in the page cache).
  renameSync(tmp, join(dir, d.sha256))
  return { ...d, size: mib * (1 << 20), path: join(dir, d.sha256) }
}

/** Seeds `out` (wiped first) with `snaps` snaps × 2 revisions and one real blob; returns what the runner needs. */
export async function seed({ snaps, blobMib = 64, out, log = () => {} }) {
  out = resolve(out)
  if (existsSync(out)) rmSync(out, { recursive: true, force: true })
  mkdirSync(join(out, 'db'), { recursive: true })
  const t0 = Date.now()
  const blob = writeRealBlob(out, blobMib)
  const { migrate } = await import(new URL('../../dist/storage/db/migrate.js', import.meta.url).href)
  const pg = await PGlite.create(join(out, 'db'))
  // kysely 0.28 (Node 20) has no PGlite dialect: the server's own, from the build (run.mjs builds first).
  const { PGliteDialect } = await import('../../dist/storage/db/pglite-dialect.js')
  const db = new Kysely({ dialect: new PGliteDialect(pg) })
  await migrate(db)
  const created = Date.parse('2025-01-01T00:00:00Z')
  const ids = []
  const BATCH = 500
  await pg.transaction(async (tx) => {
    for (let start = 0; start < snaps; start += BATCH) {
      const batch = []
      for (let i = start; i < Math.min(snaps, start + BATCH); i++) batch.push(snapRows(i, created))
      if (start === 0) {
        // Snap 0's revision 2 is the real file.
        const b0 = batch[0]
        b0.blobs[1] = [blob.sha256, blob.size, blob.sha384, blob.sha3_384]
        b0.revs[1][3] = blob.sha256
      }
      for (const b of batch) ids.push(b.id)
      await insert(
        tx,
        'blobs',
        ['sha256', 'size', 'sha384', 'sha3_384'],
        batch.flatMap((b) => b.blobs),
      )
      await insert(
        tx,
        'packages',
        ['id', 'namespace', 'type', 'name', 'publisher', 'summary', 'description', 'title', 'details'],
        batch.map((b) => b.pkg),
      )
      await insert(
        tx,
        'revisions',
        ['package_id', 'revision', 'version', 'blob_sha256', 'platforms', 'snap_yaml', 'extra', 'created_at'],
        batch.flatMap((b) => b.revs),
      )
      const rels = batch.flatMap((b) => b.rels)
      const relCols = ['package_id', 'track', 'risk', 'branch', 'base_name', 'base_channel', 'architecture', 'revision', 'released_at']
      await insert(tx, 'channel_releases', relCols, rels)
      await insert(tx, 'release_history', relCols, rels)
      log(`  ${Math.min(snaps, start + BATCH)}/${snaps} snaps`)
    }
  })
  await pg.exec('ANALYZE')
  await db.destroy()
  if (!pg.closed) await pg.close()
  const info = {
    format: SEED_FORMAT,
    snaps,
    blobMib,
    seconds: (Date.now() - t0) / 1000,
    ids,
    download: { snapId: ids[0], revision: 2, sha256: blob.sha256, size: blob.size, path: blob.path },
  }
  writeFileSync(join(out, 'seed.json'), JSON.stringify(info))
  return info
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { snaps: { type: 'string' }, 'blob-mib': { type: 'string', default: '64' }, out: { type: 'string' } },
  })
  if (!values.snaps || !values.out) {
    console.error('usage: node bench/snapstore/seed.mjs --snaps N --out DIR [--blob-mib 64]')
    process.exit(2)
  }
  const info = await seed({ snaps: Number(values.snaps), blobMib: Number(values['blob-mib']), out: values.out, log: (m) => console.log(m) })
  console.log(
    `seeded ${info.snaps} snaps × 2 revisions and a ${info.blobMib} MiB blob in ${info.seconds.toFixed(1)} s → ${resolve(values.out)}`,
  )
}
