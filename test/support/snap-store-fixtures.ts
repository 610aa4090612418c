// Real .snap files (squashfs with meta/snap.yaml, via mksquashfs) and a seeder that puts them in a
// catalog database without the importer: blobs through createLocalBlobStore, rows through importRevisions,
// with snap-declaration / snap-revision assertions signed by snapd's test store key as testrootorg
// (the chain a `withtestkeys` snap CLI walks, docs/protocol/snap-store.md §6.4).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Kysely } from 'kysely'
import { importRevisions } from '../../src/catalog/import-revisions.js'
import { parseChannel } from '../../src/catalog/channel.js'
import type { AssertionInput, RevisionInput } from '../../src/catalog/model.js'
import { catalogStore } from '../../src/storage/db/catalog.repo.js'
import { createLocalBlobStore } from '../../src/storage/blobs/local-store.js'
import type { DB } from '../../src/storage/db/database.js'
import { mkdtemp, rm } from 'node:fs/promises'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config/load.js'
import { openDatabase, type Database } from '../../src/storage/db/connect.js'
import { migrate } from '../../src/storage/db/migrate.js'
import { loadSigningKey } from '../../src/admin/tokens.js'
import { createLogger } from '../../src/log.js'
import { createTestDatabase } from './postgres.js'
import { digestOf, fixture, snapDeclaration, snapRevision, testStoreKey, TEST_ROOT_KEY_ID, TEST_STORE_KEY_ID } from './assertion-signer.js'

export interface SnapRevisionSpec {
  readonly revision: number
  readonly version?: string
  readonly architectures?: readonly string[]
  readonly channels?: readonly string[]
  readonly epoch?: { read: number[]; write: number[] }
  readonly confinement?: 'strict' | 'classic' | 'devmode'
  readonly type?: string
  readonly base?: string
  readonly apps?: Record<string, { command: string; aliases?: string[] }>
}

export interface SnapSpec {
  readonly name: string
  readonly snapId: string
  readonly summary?: string
  readonly details?: Record<string, unknown>
  readonly revisions: readonly SnapRevisionSpec[]
}

export interface BuiltRevision {
  readonly spec: SnapRevisionSpec
  readonly bytes: Buffer
  readonly snapYaml: string
  readonly assertions: Buffer[]
}

const PUBLISHER = { id: 'developer1', username: 'developer1', 'display-name': 'Developer 1', validation: 'unproven' }

export function snapYamlOf(name: string, r: SnapRevisionSpec): string {
  const lines = [
    `name: ${name}`,
    `version: '${r.version ?? `1.${r.revision}`}'`,
    `summary: ${name} summary`,
    `description: The ${name} snap for tests.`,
  ]
  lines.push(`architectures: [${(r.architectures ?? ['all']).join(', ')}]`)
  if (r.type) lines.push(`type: ${r.type}`)
  if (r.base) lines.push(`base: ${r.base}`)
  if (r.confinement) lines.push(`confinement: ${r.confinement}`)
  if (r.epoch) lines.push(`epoch: {read: [${r.epoch.read.join(', ')}], write: [${r.epoch.write.join(', ')}]}`)
  const apps = r.apps ?? { [name]: { command: 'bin/hello' } }
  lines.push('apps:')
  for (const [app, def] of Object.entries(apps)) {
    lines.push(`  ${app}:`, `    command: ${def.command}`)
    if (def.aliases) lines.push(`    aliases: [${def.aliases.join(', ')}]`)
  }
  return lines.join('\n') + '\n'
}

/** mksquashfs as `snap pack` runs it (docs/protocol/snap-store.md §10). */
export function buildSnapFile(snapYaml: string, payload = 'hello'): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-snap-'))
  try {
    mkdirSync(join(dir, 'root/meta'), { recursive: true })
    mkdirSync(join(dir, 'root/bin'))
    writeFileSync(join(dir, 'root/meta/snap.yaml'), snapYaml)
    writeFileSync(join(dir, 'root/bin/hello'), `#!/bin/sh\necho ${payload}\n`, { mode: 0o755 })
    execFileSync(
      'mksquashfs',
      [join(dir, 'root'), join(dir, 'out.snap'), '-noappend', '-comp', 'xz', '-no-fragments', '-all-root', '-no-xattrs', '-quiet'],
      { stdio: 'ignore' },
    )
    return readFileSync(join(dir, 'out.snap'))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The .snap and the assertions snapd fetches for it, signed as the fakestore signs them. */
export function buildSnapRevision(snap: SnapSpec, r: SnapRevisionSpec): BuiltRevision {
  const snapYaml = snapYamlOf(snap.name, r)
  const bytes = buildSnapFile(snapYaml, `${snap.name}-${r.revision}`)
  const key = testStoreKey()
  const decl = snapDeclaration({
    key,
    snapId: snap.snapId,
    snapName: snap.name,
    publisherId: PUBLISHER.id,
    timestamp: '2024-01-01T00:00:00Z',
    signedAt: new Date('2024-01-01T00:00:00Z'),
  })
  const rev = snapRevision({
    key,
    snap: bytes,
    snapId: snap.snapId,
    revision: r.revision,
    developerId: PUBLISHER.id,
    timestamp: '2024-01-01T00:00:00Z',
  })
  return {
    spec: r,
    bytes,
    snapYaml,
    assertions: [
      rev,
      decl,
      fixture('developer1.account'),
      fixture('test-store.account-key'),
      // The importer stores the trusted roots the chain ends in too; a withtestkeys client never asks for them.
      fixture('testrootorg.account'),
      fixture('test-root.account-key'),
    ],
  }
}

const headersOf = (bytes: Buffer): Record<string, string> => {
  const head = bytes.toString('utf8').split('\n\n')[0]!
  return Object.fromEntries(
    head.split('\n').flatMap((l) => {
      const m = /^([a-z0-9-]+): (.*)$/.exec(l)
      return m ? [[m[1]!, m[2]!]] : []
    }),
  )
}

/** Stores an assertion the way the importer does: exact bytes (no trailing newline), reduced primary key. */
export function assertionInput(bytes: Buffer): AssertionInput {
  const trimmed = bytes.subarray(0, bytes.length - (bytes[bytes.length - 1] === 0x0a ? 1 : 0))
  const h = headersOf(trimmed)
  const keys: Record<string, string[]> = {
    account: ['account-id'],
    'account-key': ['public-key-sha3-384'],
    'snap-declaration': ['series', 'snap-id'],
    'snap-revision': ['snap-sha3-384'],
    store: ['store'],
  }
  const primaryKey = (keys[h.type!] ?? []).map((k) => h[k] ?? '').join('/')
  return { type: h.type!, primaryKey, revision: Number(h.revision ?? 0), bytes: Buffer.from(trimmed), headers: h }
}

export interface SeededSnap {
  readonly spec: SnapSpec
  readonly revisions: BuiltRevision[]
}

/** Writes the blobs under dataDir and the rows into db; the app must (re)load its view afterwards. */
export async function seedSnaps(db: Kysely<DB>, dataDir: string, snaps: readonly SnapSpec[]): Promise<SeededSnap[]> {
  const blobs = createLocalBlobStore(dataDir)
  const out: SeededSnap[] = []
  const inputs: RevisionInput[] = []
  for (const snap of snaps) {
    const built = snap.revisions.map((r) => buildSnapRevision(snap, r))
    out.push({ spec: snap, revisions: built })
    for (const b of built) {
      const w = await blobs.create()
      let blob
      try {
        w.end(b.bytes)
        blob = await w.commit({ size: b.bytes.length })
      } finally {
        await w.cancel()
      }
      const r = b.spec
      inputs.push({
        type: 'snap',
        name: snap.name,
        storeId: snap.snapId,
        summary: snap.summary ?? `${snap.name} summary`,
        description: `The ${snap.name} snap for tests.`,
        title: snap.name,
        publisher: PUBLISHER,
        details: snap.details ?? {},
        revision: r.revision,
        version: r.version ?? `1.${r.revision}`,
        blob: { sha256: blob.sha256, sha384: blob.sha384, sha3_384: blob.sha3_384, size: blob.size },
        platforms: (r.architectures ?? ['all']).map((architecture) => ({ name: '', channel: '', architecture })),
        texts: { snapYaml: b.snapYaml },
        attributes: {},
        extra: {
          confinement: r.confinement ?? 'strict',
          grade: 'stable',
          base: r.base ?? null,
          type: r.type ?? 'app',
          epoch: r.epoch ?? { read: [0], write: [0] },
          store: null,
        },
        declaredResources: [],
        resourceRevisions: [],
        channels: (r.channels ?? []).map((c) => parseChannel(c)!),
        assertions: b.assertions.map(assertionInput),
        location: { file: `${snap.name}_${r.revision}.snap` },
      })
    }
  }
  await importRevisions(catalogStore(db), inputs, { pushChannelMap: true })
  return out
}

/** A 32-character snap-id derived from the name, stable across runs. */
export const snapIdOf = (name: string): string => `${name.replace(/[^A-Za-z0-9]/g, '')}${'X'.repeat(32)}`.slice(0, 32)

/** Stores extra assertions (store, validation-set, ...) as an import would. */
export async function putAssertions(db: Kysely<DB>, list: ReadonlyArray<Buffer | AssertionInput>): Promise<void> {
  await catalogStore(db).transaction(async (w) => {
    for (const a of list) await w.putAssertion(Buffer.isBuffer(a) ? assertionInput(a) : a)
  })
}

export interface SeededApp {
  app: FastifyInstance
  database: Database
  dataDir: string
  snaps: SeededSnap[]
  close(): Promise<void>
}

/** The whole app on PGlite in a temp dir, seeded before buildApp so its catalog view loads the snaps. */
export async function seededApp(
  snaps: readonly SnapSpec[],
  before?: (db: Kysely<DB>) => Promise<void>,
  dialect: 'pglite' | 'pg' = 'pglite',
): Promise<SeededApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'airlock-snapstore-'))
  const pgdb = dialect === 'pg' ? await createTestDatabase() : undefined
  const config = loadConfig({ env: {}, flags: { dataDir, databaseUrl: pgdb?.url } })
  const database = await openDatabase({ dataDir, databaseUrl: pgdb?.url })
  await migrate(database.db)
  const seeded = await seedSnaps(database.db, dataDir, snaps)
  await before?.(database.db)
  const app = await buildApp({
    config,
    database,
    blobs: createLocalBlobStore(dataDir),
    signingKey: loadSigningKey(dataDir, true),
    logger: createLogger('silent'),
  })
  await app.ready()
  return {
    app,
    database,
    dataDir,
    snaps: seeded,
    async close() {
      await app.close()
      await database.close()
      await pgdb?.drop()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

export { digestOf, TEST_ROOT_KEY_ID, TEST_STORE_KEY_ID }

/** The catalog the Snap Store API suites run against. */
export const SAMPLE_SNAPS: readonly SnapSpec[] = [
  {
    name: 'hello',
    snapId: snapIdOf('hello'),
    revisions: [
      {
        revision: 1,
        version: '1.0',
        channels: ['stable'],
        apps: { hello: { command: 'bin/hello', aliases: ['hi'] }, 'hello-sh': { command: 'bin/hello' } },
      },
      { revision: 2, version: '1.1', channels: ['edge'] },
      { revision: 3, version: '2.0', channels: ['2.0/stable'] },
    ],
  },
  {
    name: 'multi',
    snapId: snapIdOf('multi'),
    revisions: [
      { revision: 10, version: '10', architectures: ['amd64'], channels: ['stable'], base: 'core22' },
      { revision: 11, version: '10', architectures: ['arm64'], channels: ['stable'], base: 'core22' },
      { revision: 12, version: '12', architectures: ['amd64'], channels: ['beta'], base: 'core22' },
      { revision: 13, version: '13', architectures: ['amd64'], channels: ['edge'], base: 'core22', epoch: { read: [1], write: [1] } },
    ],
  },
  {
    name: 'classy',
    snapId: snapIdOf('classy'),
    details: { categories: [{ featured: true, name: 'development' }], 'common-ids': ['org.example.Classy'], license: 'MIT' },
    revisions: [
      { revision: 5, version: '5.0', architectures: ['amd64', 'arm64'], channels: ['stable'], confinement: 'classic', base: 'core24' },
    ],
  },
]
