// End to end: charms Juju would refuse, and exports naming resource revisions nobody holds, pushed
// with the real CLI to the real server: exit 1, the file, member chain and field named on stderr, no
// stack trace, and the store (listing and blob tree) exactly as before.
import { createHash } from 'node:crypto'
import type { Dirent } from 'node:fs'
import { mkdtemp, readdir, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCharmExport, writeFixture, type ExportCharm } from '../support/charm-builder.js'
import { removeDir, runCli, startServer, type RunningServer } from '../support/server-process.js'

const FILE = 'charms-export-20240426T163115.tar.gz'
const charm = (name: string, extra: Partial<ExportCharm> = {}): ExportCharm => ({
  name,
  revision: 14,
  bases: ['ubuntu@22.04/amd64'],
  ...extra,
})

const CASES: Array<[string, () => Promise<Buffer>, string]> = [
  [
    'an option type Juju does not know',
    () => buildCharmExport({ charms: [charm('postgresql', { config: 'options:\n  port:\n    type: integer\n    default: 5432\n' })] }),
    `${FILE}: postgresql.tar.gz: postgresql_14.charm: config.yaml (options.port.type): "integer" is not a type Juju accepts (string, int, float, boolean, secret)`,
  ],
  [
    'an action name Juju reserves',
    () => buildCharmExport({ charms: [charm('postgresql', { actions: 'juju-backup:\n  description: x\n' })] }),
    `${FILE}: postgresql.tar.gz: postgresql_14.charm: actions.yaml (juju-backup): the "juju-" prefix is reserved for Juju's own actions`,
  ],
  [
    'a resource revision neither the export nor the store holds',
    () =>
      buildCharmExport({
        charms: [charm('postgresql', { resources: { bin: { type: 'file', filename: 'bin.tgz' } }, metadataJson: false })],
        bundleYaml: { applications: { db: { charm: 'postgresql', resources: { bin: 3 } } } },
      }),
    `${FILE}: bundle.yaml (applications.db.resources.bin): names resource bin revision 3 of postgresql, which is neither in this export nor in the store`,
  ],
]

/** Every blob file and its hash (shard directories are not blobs: a rollback may leave one empty). */
async function blobTree(dir: string): Promise<string[]> {
  let entries: Dirent[] = []
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true })
  } catch {
    return []
  }
  const out: string[] = []
  for (const e of entries.filter((x) => x.isFile())) {
    const p = join(e.parentPath ?? e.path, e.name) // parentPath from Node 20.12; engines allow 20.11
    out.push(
      `${p.slice(dir.length)} ${createHash('sha256')
        .update(await readFile(p))
        .digest('hex')}`,
    )
  }
  return out.sort()
}

describe('airlock push-charms refuses content Juju would refuse', () => {
  let server: RunningServer
  let fixtures: string
  const admin = () => ['--url', server.url, '--data-dir', server.dataDir]

  beforeAll(async () => {
    server = await startServer()
    fixtures = await mkdtemp(join(tmpdir(), 'airlock-fixtures-'))
    const seed = await writeFixture(fixtures, 'seed.tar.gz', await buildCharmExport({ charms: [charm('seed', { revision: 1 })] }))
    expect((await runCli(['push-charms', seed, ...admin()])).code).toBe(0)
  })
  afterAll(async () => {
    await server?.stop()
    if (server) await removeDir(server.dataDir)
    if (fixtures) await removeDir(fixtures)
  })

  it.each(CASES)('%s', async (_name, build, line) => {
    const file = await writeFixture(fixtures, FILE, await build())
    const listBefore = (await runCli(['list', 'charms', '--json', ...admin()])).stdout
    const blobsBefore = await blobTree(join(server.dataDir, 'blobs'))
    const push = await runCli(['push-charms', file, ...admin()])
    expect(push.code).toBe(1)
    expect(push.stderr.split('\n')[0]).toBe(`airlock: refused: ${file.slice(0, -FILE.length)}${line}`)
    expect(push.stderr).not.toMatch(/\n\s+at /)
    expect((await runCli(['list', 'charms', '--json', ...admin()])).stdout).toBe(listBefore)
    expect(await blobTree(join(server.dataDir, 'blobs'))).toEqual(blobsBefore)
  })
})
