// `airlock export` end to end: a real Airlock filled with charms (file and oci-image resources), a
// bundle and snaps signed with snapd's test keys is the upstream store; the real CLI exports from it
// with --from, pushes the tarballs into a second, empty Airlock with the real CLI, and the second
// must serve the same revisions, channels, bases, resources and bytes to a Juju-faithful client and
// to the Snap Store API (bad upstreams: export-failures.test.ts).
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, writeFile } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { openDatabase } from '../../src/storage/db/connect.js'
import { migrate } from '../../src/storage/db/migrate.js'
import { FIXTURES } from '../support/assertion-signer.js'
import { buildBundleExport } from '../support/bundle-builder.js'
import { buildCharmExport, writeFixture } from '../support/charm-builder.js'
import { JujuClient } from '../support/juju-client.js'
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/postgres.js'
import { removeDir, runCli, startServer, type CliResult, type RunningServer } from '../support/server-process.js'
import { seedSnaps, snapIdOf, type SnapSpec } from '../support/snap-store-fixtures.js'

const TRUSTED_FILES = `${FIXTURES}testrootorg.account,${FIXTURES}test-root.account-key`
const TRUSTED = ['--trusted-assertions', TRUSTED_FILES]
const OCI = {
  ImageName: 'registry.jujucharms.com/charm/kotcfrohea62xreenq1q75n1lyspke0qkurhk/pg-image@sha256:' + 'b'.repeat(64),
  Username: 'docker-registry',
  Password: 'c2VjcmV0',
}
const SNAPS: readonly SnapSpec[] = [
  {
    name: 'hello',
    snapId: snapIdOf('hello'),
    revisions: [
      { revision: 1, version: '1.0', channels: ['stable'] },
      { revision: 2, version: '1.1', channels: ['edge'] },
    ],
  },
  {
    name: 'multi',
    snapId: snapIdOf('multi'),
    revisions: [
      { revision: 10, version: '10', architectures: ['amd64'], channels: ['stable'], base: 'core22' },
      { revision: 11, version: '10', architectures: ['arm64'], channels: ['stable'], base: 'core22' },
    ],
  },
]
const SNAP_TESTKEYS = join(homedir(), '.cache/snapd-testkeys/bin/snap-testkeys')

let upstream: RunningServer
let second: RunningServer
let work: string
const dirs: string[] = []
const databases: TestDatabase[] = []
const newDir = async (prefix: string) => {
  const d = await mkdtemp(join(tmpdir(), prefix))
  dirs.push(d)
  return d
}
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')

async function push(cmd: string, files: string[], extra: string[] = []): Promise<void> {
  const r = await runCli([cmd, ...files, '--url', second.url, '--data-dir', second.dataDir, ...extra])
  expect(r.code, `${cmd}: ${r.stdout}\n${r.stderr}`).toBe(0)
}

async function exportCli(args: string[], dir: string): Promise<{ r: CliResult; files: string[] }> {
  const r = await runCli(['export', ...args, '--export-dir', dir, '--json'])
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0)
  const out = JSON.parse(r.stdout) as { files: string[] }
  return { r, files: out.files }
}

beforeAll(async () => {
  work = await newDir('airlock-export-e2e-')
  // Snaps are seeded into the embedded database before the server starts (one PGlite process at a time).
  // PostgreSQL where it answers (servers start in a second, where PGlite's first start takes many
  // on a busy machine); else the embedded database, which takes one process at a time.
  const pgUp = (await postgresAvailable()).ok ? await createTestDatabase() : undefined
  const pgSecond = pgUp ? await createTestDatabase() : undefined
  databases.push(...[pgUp, pgSecond].filter((d) => d !== undefined))
  const dataDir = await newDir('airlock-export-upstream-')
  const database = await openDatabase({ dataDir, databaseUrl: pgUp?.url })
  await migrate(database.db)
  await seedSnaps(database.db, dataDir, SNAPS)
  await database.close()
  upstream = await startServer({ dataDir, databaseUrl: pgUp?.url, args: TRUSTED })
  second = await startServer({ databaseUrl: pgSecond?.url, args: TRUSTED })
  const pushUp = async (cmd: string, name: string, data: Buffer) => {
    const r = await runCli([cmd, await writeFixture(work, name, data), '--url', upstream.url, '--data-dir', upstream.dataDir])
    expect(r.code, r.stderr).toBe(0)
  }
  await pushUp(
    'push-charms',
    'k8s.tar.gz',
    await buildCharmExport({
      charms: [
        {
          name: 'pg-k8s',
          revision: 20,
          bases: ['ubuntu@22.04/amd64'],
          resources: { 'pg-image': { type: 'oci-image', description: 'OCI image' }, tools: { type: 'file', filename: 'tools.tgz' } },
          resourceFiles: { 'pg-image': { revision: 19, body: OCI }, tools: { revision: 2, body: Buffer.alloc(300_000, 7) } },
        },
      ],
    }),
  )
  await pushUp(
    'push-charms',
    'machine.tar.gz',
    await buildCharmExport({
      charms: [
        {
          name: 'ubuntu',
          revision: 24,
          metadataJson: false,
          bases: ['ubuntu@20.04/amd64', 'ubuntu@22.04/amd64', 'ubuntu@24.04/amd64,arm64'],
        },
      ],
    }),
  )
  await pushUp(
    'push-charm-bundle',
    'obs-20241003T104903.tar.gz',
    await buildBundleExport({
      name: 'obs',
      archiveRevision: 3,
      applications: { agent: { charm: 'grafana-agent', channel: 'edge' }, db: { charm: 'ubuntu', channel: 'stable' } },
      charms: [{ name: 'grafana-agent', revision: 7, metadataJson: false, bases: ['ubuntu@22.04/amd64'] }],
    }),
  )
}, 120_000)

afterAll(async () => {
  for (const s of [upstream, second]) {
    await s?.stop()
    if (s) await removeDir(s.dataDir)
  }
  for (const d of dirs) await removeDir(d)
  for (const d of databases) await d.drop()
})

/** What Juju sees of a charm on a server: the resolved revision, its files and resources, byte hashes. */
async function jujuView(url: string, name: string, channel: string, base: { name: string; channel: string; architecture: string }) {
  const juju = new JujuClient(url, '4.0')
  const r = await juju.resolve(name, channel, base)
  const charm = await juju.fetchVerified(r.charm.download.url, { size: r.charm.download.size, sha256: r.charm.download['hash-sha-256'] })
  const resources = []
  if (r.charm.type === 'charm') {
    const full = await juju.resourceDownload(
      r.id,
      r.charm.revision,
      r.charm.resources.map((x: { name: string; revision: number }) => ({ name: x.name, revision: x.revision })),
    )
    for (const x of full.charm.resources) {
      const body = await juju.fetchVerified(x.download.url, {
        size: x.download.size,
        sha384: x.download['hash-sha-384'],
        sha256: x.download['hash-sha-256'],
      })
      resources.push({
        name: x.name,
        type: x.type,
        revision: x.revision,
        sha256: sha256(body),
        body: x.type === 'oci-image' ? JSON.parse(body.toString()) : undefined,
      })
    }
  }
  return {
    id: r.id,
    revision: r.charm.revision,
    channel: r['effective-channel'],
    bases: r.charm.bases,
    sha256: sha256(charm),
    publisher: r.charm.publisher,
    resources,
  }
}

async function channelMap(url: string, name: string): Promise<string[]> {
  const res = await fetch(`${url}/v2/charms/info/${name}?fields=channel-map`)
  const json = (await res.json()) as {
    'channel-map': Array<{
      channel: { name: string; base: { name: string; channel: string; architecture: string } }
      revision: { revision: number }
    }>
  }
  return json['channel-map']
    .map(
      (e) => `${e.channel.name} ${e.channel.base.name}@${e.channel.base.channel}/${e.channel.base.architecture} -> ${e.revision.revision}`,
    )
    .sort()
}

describe('export charms, then push-charms into a second Airlock', () => {
  it('serves the same revisions, channel maps, bases, resources and bytes', async () => {
    const input = join(work, 'charms.yaml')
    await writeFile(
      input,
      stringify({
        applications: { db: { charm: 'pg-k8s', channel: 'latest/stable', base: 'ubuntu@22.04' }, u: { charm: 'ubuntu', series: 'jammy' } },
      }),
    )
    const dir = await newDir('airlock-export-charms-')
    const { files } = await exportCli(['charms', input, '--from', upstream.url], dir)
    expect(files).toHaveLength(1)
    expect(files[0]).toMatch(/\/charms-export-\d{8}T\d{6}\.tar\.gz$/)
    expect(await readdir(dir)).toEqual([files[0]!.split('/').at(-1)])
    await push('push-charms', files)
    for (const [name, base] of [
      ['pg-k8s', '22.04'],
      ['ubuntu', '22.04'],
      ['ubuntu', '24.04'],
    ] as const) {
      const b = { name: 'ubuntu', channel: base, architecture: 'amd64' }
      expect(await jujuView(second.url, name, 'stable', b), name).toEqual(await jujuView(upstream.url, name, 'stable', b))
      expect(await channelMap(second.url, name)).toEqual(await channelMap(upstream.url, name))
    }
    const pg = await jujuView(second.url, 'pg-k8s', 'stable', { name: 'ubuntu', channel: '22.04', architecture: 'amd64' })
    expect(pg.resources.find((r) => r.type === 'oci-image')?.body).toEqual(OCI)
    expect(pg.resources.map((r) => `${r.name}/${r.revision}`).sort()).toEqual(['pg-image/19', 'tools/2'])
  })

  it('is idempotent to push twice (nothing changes the second time)', async () => {
    const input = join(work, 'one.yaml')
    await writeFile(input, stringify({ applications: { u: { charm: 'ubuntu' } } }))
    const dir = await newDir('airlock-export-again-')
    const { files } = await exportCli(['charms', input, '--from', upstream.url], dir)
    await push('push-charms', files)
    const r = await runCli(['push-charms', ...files, '--url', second.url, '--data-dir', second.dataDir])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/unchanged/)
  })
})

describe('export bundle, then push-charm-bundle', () => {
  it('serves the bundle revision and every component charm as upstream does', async () => {
    const dir = await newDir('airlock-export-bundle-')
    const { files } = await exportCli(['bundle', 'obs', '--from', upstream.url], dir)
    expect(files[0]).toMatch(/\/obs-\d{8}T\d{6}\.tar\.gz$/)
    await push('push-charm-bundle', files)
    const na = { name: 'NA', channel: 'NA', architecture: 'amd64' }
    expect(await jujuView(second.url, 'obs', 'stable', na)).toEqual(await jujuView(upstream.url, 'obs', 'stable', na))
    const b = { name: 'ubuntu', channel: '22.04', architecture: 'amd64' }
    expect(await jujuView(second.url, 'grafana-agent', 'edge', b)).toEqual(await jujuView(upstream.url, 'grafana-agent', 'edge', b))
  })
})

/** What snapd sees: the revision an install resolves to, its download hash, and the bytes. */
async function snapView(url: string, name: string, channel: string, architecture: string) {
  const res = await fetch(`${url}/v2/snaps/refresh`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      'snap-device-architecture': architecture,
      'snap-device-series': '16',
    },
    body: JSON.stringify({
      context: [],
      actions: [{ action: 'install', 'instance-key': 'install-1', name, channel, epoch: null }],
      fields: ['download', 'revision', 'snap-id', 'version', 'architectures'],
    }),
  })
  const json = (await res.json()) as {
    results: Array<{
      snap?: { revision: number; 'snap-id': string; version: string; download: { url: string; size: number; 'sha3-384': string } }
      error?: unknown
    }>
  }
  const snap = json.results[0]!.snap
  if (!snap) return { error: json.results[0]!.error }
  const blob = Buffer.from(await (await fetch(snap.download.url)).arrayBuffer())
  const digest = Buffer.from(snap.download['sha3-384'], 'hex').toString('base64url')
  const assertion = await (await fetch(`${url}/v2/assertions/snap-revision/${digest}`)).text()
  return {
    revision: snap.revision,
    snapId: snap['snap-id'],
    version: snap.version,
    size: snap.download.size,
    sha3: snap.download['sha3-384'],
    blob: sha256(blob),
    assertion,
  }
}

describe('export snaps, then push-snap', () => {
  it('serves the same revisions per channel and architecture, with the same bytes and assertions', async () => {
    const dir = await newDir('airlock-export-snaps-')
    const { files } = await exportCli(
      [
        'snaps',
        'hello',
        'multi',
        '--channel',
        'stable',
        '--channel',
        'edge',
        '--arch',
        'amd64',
        '--arch',
        'arm64',
        '--from',
        upstream.url,
        ...TRUSTED,
      ],
      dir,
    )
    expect(
      files
        .map((f) =>
          f
            .split('/')
            .at(-1)!
            .replace(/-\d{8}T\d{6}/, '-TS'),
        )
        .sort(),
    ).toEqual(['hello-TS.tar.gz', 'multi-TS.tar.gz'])
    // All tarballs of one run share the timestamp.
    expect(new Set(files.map((f) => /-(\d{8}T\d{6})\.tar\.gz$/.exec(f)![1])).size).toBe(1)
    await push('push-snap', files)
    for (const [name, channel, arch] of [
      ['hello', 'stable', 'amd64'],
      ['hello', 'edge', 'arm64'],
      ['multi', 'stable', 'amd64'],
      ['multi', 'stable', 'arm64'],
      ['multi', 'edge', 'arm64'],
    ] as const) {
      expect(await snapView(second.url, name, channel, arch), `${name} ${channel} ${arch}`).toEqual(
        await snapView(upstream.url, name, channel, arch),
      )
    }
  })

  it('--from-yaml exports the listed revisions and releases them to push_channel', async () => {
    const dir = await newDir('airlock-export-yaml-')
    const yamlFile = join(work, 'snaps.yaml')
    await writeFile(yamlFile, stringify({ packages: [{ name: 'hello', revision: 2, push_channel: 'latest/candidate' }] }))
    const { files } = await exportCli(['snaps', '--from-yaml', yamlFile, '--from', upstream.url, ...TRUSTED], dir)
    await push('push-snap', files)
    const got = await snapView(second.url, 'hello', 'candidate', 'amd64')
    expect(got).toMatchObject({ revision: 2 })
    expect((got as { blob: string }).blob).toBe(((await snapView(upstream.url, 'hello', 'edge', 'amd64')) as { blob: string }).blob)
  })

  it.skipIf(!existsSync(SNAP_TESTKEYS))('snap download (withtestkeys snap CLI) from the second store gets the same snap', async () => {
    const { spawnSync } = await import('node:child_process')
    const cwd = await newDir('airlock-export-snapcli-')
    const r = spawnSync(SNAP_TESTKEYS, ['download', 'hello'], {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, UBUNTU_STORE_URL: `${second.url}/` },
      encoding: 'utf8',
    })
    expect(r.status, r.stderr).toBe(0)
    expect((await readdir(cwd)).sort()).toEqual(['hello_1.assert', 'hello_1.snap'])
    const { readFile } = await import('node:fs/promises')
    expect(sha256(await readFile(join(cwd, 'hello_1.snap')))).toBe(
      ((await snapView(upstream.url, 'hello', 'stable', 'amd64')) as { blob: string }).blob,
    )
  })
  if (!existsSync(SNAP_TESTKEYS)) console.warn(`skipping snap download through the withtestkeys snap CLI: ${SNAP_TESTKEYS} is missing`)
})

describe('snap exports that must fail', () => {
  const cases: Array<[string, string[], RegExp]> = [
    // Without the test root, the chain ends in testrootorg, which only --trusted-assertions makes a root.
    [
      'an assertion chain that ends in an untrusted root',
      ['snaps', 'hello'],
      /^airlock: snap hello revision 1: assertion .* does not verify: /,
    ],
    ['an unknown snap', ['snaps', 'nope', ...TRUSTED], /^airlock: snap nope: not found in http:\/\/127\.0\.0\.1:\d+$/],
    [
      'a channel with nothing for the architecture',
      ['snaps', 'multi', '--arch', 's390x', ...TRUSTED],
      /^airlock: snap multi: no revision for channel stable on s390x \(/,
    ],
  ]
  it.each(cases)('%s: one line, exit 1, no file', async (_what, argv, message) => {
    const dir = await newDir('airlock-export-snapbad-')
    const r = await runCli(['export', ...argv, '--from', upstream.url, '--export-dir', dir, '--json'])
    expect(r.code, r.stderr).toBe(1)
    expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1)
    expect(r.stderr.trim()).toMatch(message)
    expect(await readdir(dir)).toEqual([])
  })
})
