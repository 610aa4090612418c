// A realistic small store for the catalog page's tests: machine and Kubernetes charms (file and
// oci-image resources), a bundle of them, snaps on several channels and architectures, and a charm
// whose summary and description are hostile markup. Pushed through the real CLI, as a user would.
import { stringify } from 'yaml'
import { expect } from 'vitest'
import { buildCharmExport, writeFixture, type ExportSpec } from './charm-builder.js'
import { buildBundleExport, type BundleExportSpec } from './bundle-builder.js'
import { buildSnapExport, signedSnap, TEST_ROOT_FILES } from './snap-builder.js'
import { runCli, type RunningServer } from './server-process.js'

/** Server flags the fixtures need: the snaps are signed by the test root. */
export const CATALOG_SERVER_ARGS = ['--trusted-assertions', TEST_ROOT_FILES.join(',')]

export const HOSTILE_SUMMARY = '<script>document.title="owned"</script> Evil & "quoted" <b>bold</b>'
export const HOSTILE_DESCRIPTION =
  '<img src=x onerror="alert(1)"><a href="javascript:alert(2)">click</a>\n</div><style>body{display:none}</style>\n{{ template }} ${injection}'

const OCI = {
  ImageName: 'registry.jujucharms.com/charm/kotcfrohea62xreenq1q75n1lyspke0qkurhk/postgresql-image@sha256:' + 'b'.repeat(64),
  Username: '',
  Password: '',
}

function hostileMetadata(): string {
  return stringify({
    name: 'hostile-text',
    summary: HOSTILE_SUMMARY,
    description: HOSTILE_DESCRIPTION,
    provides: { web: { interface: 'http' } },
  })
}

export async function fillCatalog(server: RunningServer, dir: string): Promise<void> {
  const admin = ['--url', server.url, '--data-dir', server.dataDir]
  const run = async (args: string[]) => {
    const r = await runCli([...args, ...admin])
    expect(r.code, r.stderr).toBe(0)
  }
  const charms: ExportSpec = {
    charms: [
      { name: 'postgresql', revision: 14, metadataJson: false, bases: ['ubuntu@22.04/amd64,arm64', 'ubuntu@20.04/amd64'] },
      {
        name: 'postgresql-k8s',
        revision: 20,
        metadataJson: false,
        bases: ['ubuntu@22.04/amd64'],
        resources: {
          'postgresql-image': { type: 'oci-image', description: 'OCI image for PostgreSQL' },
          'backup-tools': { type: 'file', filename: 'tools.tgz', description: 'Helper scripts for backups' },
        },
        resourceFiles: { 'postgresql-image': { revision: 19, body: OCI }, 'backup-tools': { revision: 2, body: Buffer.alloc(150_000, 7) } },
      },
      { name: 'pgbouncer', revision: 3, metadataJson: false, bases: ['ubuntu@22.04/amd64'] },
      {
        name: 'hostile-text',
        revision: 1,
        metadataJson: false,
        bases: ['ubuntu@22.04/amd64'],
        files: { 'metadata.yaml': hostileMetadata() },
      },
    ],
    bundleYaml: { applications: { db: { charm: 'postgresql', channel: '14/stable' }, pool: { charm: 'pgbouncer', channel: 'edge' } } },
  }
  await run(['push-charms', await writeFixture(dir, 'charms-export-20240426T163115.tar.gz', await buildCharmExport(charms))])
  const bundle: BundleExportSpec = {
    name: 'postgresql-bundle',
    applications: {
      db: { charm: 'postgresql', channel: '14/stable', num_units: 3 },
      pool: { charm: 'pgbouncer', channel: 'latest/edge', num_units: 1 },
    },
    charms: [
      { name: 'postgresql', revision: 14, metadataJson: false, bases: ['ubuntu@22.04/amd64,arm64', 'ubuntu@20.04/amd64'] },
      { name: 'pgbouncer', revision: 3, metadataJson: false, bases: ['ubuntu@22.04/amd64'] },
    ],
  }
  await run(['push-charm-bundle', await writeFixture(dir, 'postgresql-bundle-20241003T104903.tar.gz', await buildBundleExport(bundle))])
  const snaps = await buildSnapExport({
    snaps: [
      signedSnap({ name: 'jq', version: '1.7.1', revision: 6 }),
      signedSnap({ name: 'htop', version: '3.3.0', architectures: ['amd64', 'arm64'], revision: 4 }),
    ],
  })
  await run(['push-snap', await writeFixture(dir, 'snaps-20221026T104628.tar.gz', snaps)])
  await run([
    'push-snap',
    await writeFixture(
      dir,
      'jq-edge.tar.gz',
      await buildSnapExport({ snaps: [signedSnap({ name: 'jq', version: '1.8.0-dev', revision: 9 })] }),
    ),
    '--channel',
    'latest/edge',
  ])
}
