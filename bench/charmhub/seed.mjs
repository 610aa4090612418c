#!/usr/bin/env node
// Seeds an Airlock data dir with a synthetic Charmhub catalog, straight through SQL (the import API
// would take far too long for 100,000 revisions), for bench/charmhub/run.mjs.
//
//   node bench/charmhub/seed.mjs --charms 10000 --out bench/charmhub/out/catalog-10000 [--revisions 5]
//
// Per charm: one package (publisher, summary, description, store details), --revisions revisions
// (each with its own fake blob: 64-hex sha256, 96-hex sha384/sha3-384, a size), realistic texts
// (metadata.yaml ~1.5 KB, config.yaml ~1 KB, actions.yaml ~0.4 KB, relations in `extra`), and
// channel releases for ubuntu 22.04/amd64: latest/stable, candidate and beta → the newest revision,
// latest/edge → the newest or the one before. Every other charm is also built and released for
// ubuntu 20.04/amd64, so info channel maps hold 4 or 8 entries. Everything is deterministic (seeded
// PRNG), so two seeds of the same size are the same catalog.
//
// Needs `npm run build` (runs dist/storage/db/migrate.js's migrations, as the server does).
// Writes <out>/db (PGlite) and <out>/seed.json (the parameters and the charm names, for the runner).
import { createHash } from 'node:crypto'
import { mkdirSync, existsSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { PGlite } from '@electric-sql/pglite'
import { Kysely } from 'kysely'
import { rng } from '../lib/rng.mjs'

export const SEED_FORMAT = 1

const WORDS = [
  'postgresql',
  'mysql',
  'redis',
  'kafka',
  'grafana',
  'prometheus',
  'loki',
  'traefik',
  'vault',
  'nginx',
  'haproxy',
  'mongodb',
  'opensearch',
  'zookeeper',
  'keystone',
  'ceph',
  'rabbitmq',
  'memcached',
  'etcd',
  'minio',
  'jenkins',
  'gitea',
  'keycloak',
  'temporal',
  'airflow',
  'superset',
  'mlflow',
  'kubeflow',
  'seldon',
  'spark',
]
const SUFFIXES = ['', '-k8s', '-operator', '-router', '-exporter', '-agent']

/** Charm i's name: unique, 8–28 characters, like Charmhub's. */
export function charmName(i) {
  return `${WORDS[i % WORDS.length]}${SUFFIXES[Math.floor(i / WORDS.length) % SUFFIXES.length]}-${i}`
}

const hex = (s, bytes) => {
  let out = ''
  for (let i = 0; out.length < bytes * 2; i++) out += createHash('sha256').update(`${s}#${i}`).digest('hex')
  return out.slice(0, bytes * 2)
}

function metadataYaml(name, word, i) {
  return `name: ${name}
display-name: ${word[0].toUpperCase()}${word.slice(1)} (${i})
summary: Fast, reliable and scalable ${word} for machines and Kubernetes.
description: |
  ${name} deploys and operates ${word} on top of Juju. It handles installation, configuration,
  scaling out and in, TLS, backups to S3-compatible object storage, in-place upgrades, and
  integration with the Canonical Observability Stack (metrics, logs and dashboards).

  This charm is part of a synthetic catalog generated for Airlock's Charmhub benchmark; its
  metadata is shaped and sized like a real charm's so that responses carry realistic payloads.
  Use it with "juju deploy ${name} --channel stable" on ubuntu@22.04 or ubuntu@20.04.
maintainers:
  - Airlock Bench <bench@example.invalid>
docs: https://discourse.charmhub.io/t/${name}-docs-index/${10000 + i}
issues: https://github.com/canonical/${name}-operator/issues
source: https://github.com/canonical/${name}-operator
website:
  - https://ubuntu.com/${word}
  - https://charmhub.io/${name}
assumes:
  - juju >= 3.1
subordinate: false
provides:
  database:
    interface: ${word}_client
  metrics-endpoint:
    interface: prometheus_scrape
  grafana-dashboard:
    interface: grafana_dashboard
  cos-agent:
    interface: cos_agent
    limit: 1
requires:
  certificates:
    interface: tls-certificates
    limit: 1
    optional: true
  s3-parameters:
    interface: s3
    limit: 1
    optional: true
  logging:
    interface: loki_push_api
    optional: true
  tracing:
    interface: tracing
    limit: 1
    optional: true
peers:
  ${word}-peers:
    interface: ${word}_peers
  upgrade:
    interface: upgrade
storage:
  data:
    type: filesystem
    location: /var/snap/charmed-${word}/common
    description: Where ${word} keeps its data, logs and backups.
`
}

function configYaml(word) {
  return `options:
  profile:
    description: |
      Profile representing the scope of deployment, used to tune resource allocation.
      Allowed values are: "production" and "testing".
    type: string
    default: production
  log-level:
    description: Verbosity of the ${word} logs (one of ERROR, WARNING, INFO, DEBUG).
    type: string
    default: INFO
  max-connections:
    description: Maximum number of concurrent client connections the ${word} server accepts.
    type: int
    default: 100
  plugin-audit-enable:
    description: Enable the audit plugin, which records every statement in a separate log.
    type: boolean
    default: false
  memory-limit:
    description: |
      Amount of memory in megabytes to hand to ${word}. When unset, the charm computes a
      value from the machine's total memory and the profile.
    type: int
  backup-retention-days:
    description: How many days backups are kept in the object store before being pruned.
    type: int
    default: 7
  tls-ciphers:
    description: Colon-separated list of TLS ciphers offered to clients.
    type: string
    default: "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384"
`
}

function actionsYaml(word) {
  return `get-password:
  description: Show the password of a system user of ${word}.
  params:
    username:
      type: string
      description: The user whose password to show (default operator).
set-password:
  description: Change the password of a system user; a random one when none is given.
  params:
    username:
      type: string
    password:
      type: string
create-backup:
  description: Create a backup of the ${word} data in the configured object store.
list-backups:
  description: List the backups found in the configured object store.
restore:
  description: Restore a backup by its id.
  params:
    backup-id:
      type: string
  required: [backup-id]
`
}

const RELATIONS = (word) => ({
  provides: {
    database: { interface: `${word}_client` },
    'metrics-endpoint': { interface: 'prometheus_scrape' },
    'grafana-dashboard': { interface: 'grafana_dashboard' },
    'cos-agent': { interface: 'cos_agent', limit: 1 },
  },
  requires: {
    certificates: { interface: 'tls-certificates', limit: 1, optional: true },
    's3-parameters': { interface: 's3', limit: 1, optional: true },
    logging: { interface: 'loki_push_api', optional: true },
    tracing: { interface: 'tracing', limit: 1, optional: true },
  },
})

/** The rows of charm i, one array per table. */
function charmRows(i, revisionsPerCharm, created) {
  const rand = rng(i + 1)
  const name = charmName(i)
  const word = WORDS[i % WORDS.length]
  const id = hex(`package:${name}`, 16) // 32 hex characters: alphanumeric, as the schema wants
  const dual = i % 2 === 0 // also built for ubuntu 20.04
  const platforms = dual
    ? [
        { name: 'ubuntu', channel: '22.04', architecture: 'amd64' },
        { name: 'ubuntu', channel: '20.04', architecture: 'amd64' },
      ]
    : [{ name: 'ubuntu', channel: '22.04', architecture: 'amd64' }]
  const pkg = [
    id,
    'charmhub',
    'charm',
    name,
    JSON.stringify({
      id: hex(`publisher:${word}`, 16),
      username: `${word}-team`,
      'display-name': `The ${word} team`,
      validation: i % 3 === 0 ? 'verified' : 'unproven',
    }),
    `Fast, reliable and scalable ${word} for machines and Kubernetes.`,
    `${name} deploys and operates ${word} on top of Juju: installation, configuration, scaling, TLS, backups and upgrades, ` +
      "with metrics, logs and dashboards for the Canonical Observability Stack. A synthetic charm for Airlock's benchmark.",
    `${word[0].toUpperCase()}${word.slice(1)} ${i}`,
    JSON.stringify({
      categories: [{ featured: false, name: 'databases' }],
      license: 'Apache-2.0',
      links: { website: [`https://ubuntu.com/${word}`] },
      website: `https://ubuntu.com/${word}`,
    }),
  ]
  const blobs = []
  const revs = []
  const meta = metadataYaml(name, word, i)
  const cfg = configYaml(word)
  const acts = actionsYaml(word)
  const extra = JSON.stringify({ subordinate: false, relations: RELATIONS(word) })
  for (let r = 1; r <= revisionsPerCharm; r++) {
    const sha256 = hex(`blob:${name}:${r}`, 32)
    blobs.push([sha256, 200_000 + Math.floor(rand() * 5_000_000), hex(`384:${name}:${r}`, 48), hex(`3-384:${name}:${r}`, 48)])
    revs.push([
      id,
      r,
      `${1 + Math.floor(i / 1000)}.${r}.${i % 10}`,
      sha256,
      JSON.stringify(platforms),
      meta,
      cfg,
      acts,
      extra,
      new Date(created - (revisionsPerCharm - r) * 86_400_000).toISOString(),
    ])
  }
  const newest = revisionsPerCharm
  const edge = rand() < 0.5 || newest === 1 ? newest : newest - 1
  const rels = []
  for (const b of platforms) {
    for (const [risk, rev] of [
      ['stable', newest],
      ['candidate', newest],
      ['beta', newest],
      ['edge', edge],
    ]) {
      rels.push([id, 'latest', risk, '', b.name, b.channel, b.architecture, rev, new Date(created + rev * 3_600_000).toISOString()])
    }
  }
  return { name, pkg, blobs, revs, rels }
}

async function insert(pg, table, columns, rows) {
  if (rows.length === 0) return
  const n = columns.length
  const values = rows.map((_, r) => `(${columns.map((_c, c) => `$${r * n + c + 1}`).join(',')})`).join(',')
  await pg.query(`INSERT INTO ${table} (${columns.join(',')}) VALUES ${values}`, rows.flat())
}

/** Seeds `out` (wiped first) with `charms` × `revisions`; returns the charm names. */
export async function seed({ charms, revisions = 5, out, log = () => {} }) {
  out = resolve(out)
  if (existsSync(out)) rmSync(out, { recursive: true, force: true })
  mkdirSync(join(out, 'db'), { recursive: true })
  const { migrate } = await import(new URL('../../dist/storage/db/migrate.js', import.meta.url).href)
  const pg = await PGlite.create(join(out, 'db'))
  // kysely 0.28 (Node 20) has no PGlite dialect: the server's own, from the build (run.mjs builds first).
  const { PGliteDialect } = await import('../../dist/storage/db/pglite-dialect.js')
  const db = new Kysely({ dialect: new PGliteDialect(pg) })
  await migrate(db)
  const created = Date.parse('2025-01-01T00:00:00Z')
  const names = []
  const BATCH = 200 // charms per statement group: revisions × 10 columns stays well under 65,535 parameters
  const t0 = Date.now()
  await pg.transaction(async (tx) => {
    for (let start = 0; start < charms; start += BATCH) {
      const batch = []
      for (let i = start; i < Math.min(charms, start + BATCH); i++) batch.push(charmRows(i, revisions, created))
      for (const b of batch) names.push(b.name)
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
        [
          'package_id',
          'revision',
          'version',
          'blob_sha256',
          'platforms',
          'metadata_yaml',
          'config_yaml',
          'actions_yaml',
          'extra',
          'created_at',
        ],
        batch.flatMap((b) => b.revs),
      )
      const rels = batch.flatMap((b) => b.rels)
      await insert(
        tx,
        'channel_releases',
        ['package_id', 'track', 'risk', 'branch', 'base_name', 'base_channel', 'architecture', 'revision', 'released_at'],
        rels,
      )
      await insert(
        tx,
        'release_history',
        ['package_id', 'track', 'risk', 'branch', 'base_name', 'base_channel', 'architecture', 'revision', 'released_at'],
        rels,
      )
      if ((start / BATCH) % 10 === 0) log(`  ${Math.min(charms, start + BATCH)}/${charms} charms`)
    }
  })
  await pg.exec('ANALYZE')
  await db.destroy()
  if (!pg.closed) await pg.close()
  const info = { format: SEED_FORMAT, charms, revisions, seconds: (Date.now() - t0) / 1000, names }
  writeFileSync(join(out, 'seed.json'), JSON.stringify(info))
  return info
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { charms: { type: 'string' }, revisions: { type: 'string', default: '5' }, out: { type: 'string' } },
  })
  if (!values.charms || !values.out) {
    console.error('usage: node bench/charmhub/seed.mjs --charms N --out DIR [--revisions 5]')
    process.exit(2)
  }
  const info = await seed({
    charms: Number(values.charms),
    revisions: Number(values.revisions),
    out: values.out,
    log: (m) => console.log(m),
  })
  console.log(`seeded ${info.charms} charms × ${info.revisions} revisions in ${info.seconds.toFixed(1)} s → ${resolve(values.out)}`)
}
