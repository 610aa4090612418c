// Hostile charm exports through POST /admin/v1/charms, on PGlite and PostgreSQL (docs/operations.md,
// "What an import refuses"). One table: each case builds an upload, names the status
// and the error text (file, member chain, field, rule), and must leave the store byte-identical:
// same rows, same blobs, nothing left under <data-dir>/tmp.
import { createHash } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import http from 'node:http'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/test-app.js'
import {
  buildCharm,
  buildCharmExport,
  buildTar,
  charmMetadataYaml,
  stableId,
  type ExportCharm,
  type TarMemberSpec,
} from '../support/charm-builder.js'
import {
  garbage,
  gzipBombTar,
  lieAboutZipEntrySize,
  manyMembersTar,
  nestedTars,
  renameZipEntries,
  storedZip,
  truncated,
} from '../support/hostile-builders.js'
import { dialects } from '../support/dialects.js'

const FILE = 'charms-export-20240426T163115.tar.gz'
const OCI = {
  ImageName: 'registry.jujucharms.com/charm/kotcfrohea62xreenq1q75n1lyspke0qkurhk/img@sha256:' + 'a'.repeat(64),
  Username: 'docker-registry',
  Password: 'secret',
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
/** The error text: `<FILE>: <member>: … (<field>): <problem>`, anchored at the start. */
function says(chain: readonly string[], problem: RegExp, field?: string): RegExp {
  return new RegExp(`^${esc([FILE, ...chain].join(': '))}${field ? esc(` (${field})`) : ''}: ${problem.source}`)
}

/** A good charm for the export, revision 1 unless told. */
const charm = (name: string, extra: Partial<ExportCharm> = {}): ExportCharm => ({
  name,
  revision: 1,
  bases: ['ubuntu@22.04/amd64'],
  ...extra,
})
/** An export whose charms are all good, plus `extra` outer members (after the charms). */
const exportWith = (name: string, extraMembers: TarMemberSpec[], more: ExportCharm[] = []): Promise<Buffer> =>
  buildCharmExport({ charms: [charm(name), ...more], extraMembers })
/** An export with one charm whose nested tarball also holds `extraMembers`. */
const nestedWith = (name: string, extraMembers: TarMemberSpec[]): Promise<Buffer> =>
  buildCharmExport({ charms: [charm(name, { extraMembers })] })
/** An export with one charm tarball `<name>.tar.gz` holding exactly `inner`. */
async function rawCharmTarball(name: string, inner: TarMemberSpec[]): Promise<Buffer> {
  return buildTar([
    { name: 'bundle.yaml', data: `applications:\n  ${name}:\n    charm: ${name}\n` },
    { name: `${name}.tar.gz`, data: await buildTar(inner) },
  ])
}
/** An export with one charm whose .charm zip is `zip`. */
const withZip = async (name: string, zip: Buffer): Promise<Buffer> => rawCharmTarball(name, [{ name: `${name}_1.charm`, data: zip }])

/** metadata.json (info-like) for `c`, with `patch` applied to channel-map[0]. */
async function infoJson(c: ExportCharm, patch: (entry: any) => void): Promise<object> {
  const bytes = await buildCharm(c)
  const entry: any = {
    channel: { base: { name: 'ubuntu', channel: '22.04', architecture: 'amd64' }, name: 'stable', risk: 'stable', track: 'latest' },
    revision: { revision: c.revision, download: { 'hash-sha-256': createHash('sha256').update(bytes).digest('hex'), size: bytes.length } },
  }
  patch(entry)
  return { type: 'charm', id: stableId(c.name), name: c.name, 'channel-map': [entry], result: { summary: 'x' } }
}

interface HostileCase {
  readonly name: string
  /** The upload; built once, shared by every dialect. */
  readonly build: () => Promise<Buffer>
  /** Pushed first and expected to import: the state the hostile upload must not change. */
  readonly before?: () => Promise<Buffer>
  readonly status: 409 | 422
  readonly message: RegExp
}

const LINK_TYPES = [
  ['symlink', { type: 'symlink', linkname: '/etc/passwd' }],
  ['hard link', { type: 'link', linkname: 'bundle.yaml' }],
  ['character device', { type: 'character-device' }],
  ['block device', { type: 'block-device' }],
  ['FIFO', { type: 'fifo' }],
] as const

const longName = `${'d'.repeat(100)}/${'x'.repeat(1000)}`
const symlinkMode = 0o120777
/** Eight levels, each referring to the one before ten times: 10^8 nodes once expanded. */
const YAML_BOMB = [
  'name: yaml-bomb',
  'a: &a ["x"]',
  ...Array.from(
    { length: 8 },
    (_, i) =>
      `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
        .fill(`*${String.fromCharCode(97 + i)}`)
        .join(', ')}]`,
  ),
  'summary: *i',
  '',
].join('\n')

const CASES: HostileCase[] = [
  // ---- member paths (outer tar)
  {
    name: 'member ../x',
    build: () => exportWith('path-up', [{ name: '../x', data: 'x' }]),
    status: 422,
    message: says(['../x'], /member path contains "\.\."/),
  },
  {
    name: 'absolute member /etc/passwd',
    build: () => exportWith('path-abs', [{ name: '/etc/passwd', data: 'root:x:0:0' }]),
    status: 422,
    message: says(['/etc/passwd'], /absolute member path/),
  },
  {
    name: 'a .. segment in the middle',
    build: () => exportWith('path-mid', [{ name: 'charms/../../etc/cron.d/x', data: 'x' }]),
    status: 422,
    message: says(['charms/../../etc/cron.d/x'], /member path contains "\.\."/),
  },
  {
    name: 'member path longer than 1,024 bytes',
    build: () => exportWith('path-long', [{ name: longName, data: 'x' }]),
    status: 422,
    message: says([longName], /member path longer than 1024 bytes \(limit limits\.max-member-path-bytes\)/),
  },
  {
    name: 'a .. member inside a nested charm tarball',
    build: () => nestedWith('path-nested', [{ name: 'resources/../../x', data: 'x' }]),
    status: 422,
    message: says(['path-nested.tar.gz', 'resources/../../x'], /member path contains "\.\."/),
  },

  // ---- link and special members, outer and nested
  ...LINK_TYPES.flatMap(([label, spec]): HostileCase[] => {
    const slug = label.replace(/ /g, '-').toLowerCase()
    return [
      {
        name: `${label} member in the outer tar`,
        build: () => exportWith(`outer-${slug}`, [{ name: 'evil', ...spec }]),
        status: 422,
        message: says(['evil'], new RegExp(`${spec.type} member refused`)),
      },
      {
        name: `${label} member in a nested charm tarball`,
        build: () => nestedWith(`nested-${slug}`, [{ name: 'evil', ...spec }]),
        status: 422,
        message: says([`nested-${slug}.tar.gz`, 'evil'], new RegExp(`${spec.type} member refused`)),
      },
    ]
  }),

  // ---- duplicates
  {
    name: 'the same member twice in the outer tar (./ spelling)',
    build: () => exportWith('dup-outer', [{ name: './bundle.yaml', data: 'applications: {}\n' }]),
    status: 422,
    message: says(['./bundle.yaml'], /the same member name appears twice/),
  },
  {
    name: 'the same member twice in a nested tar',
    build: () => nestedWith('dup-nested', [{ name: 'metadata.json', data: '{}' }]),
    status: 422,
    message: says(['dup-nested.tar.gz', 'metadata.json'], /the same member name appears twice/),
  },
  {
    name: 'the same entry twice in a .charm zip',
    build: () =>
      buildCharmExport({ charms: [charm('dup-zip', { rawEntries: [{ name: 'metadata.yaml', data: Buffer.from('name: other\n') }] })] }),
    status: 422,
    message: says(['dup-zip.tar.gz', 'dup-zip_1.charm', 'metadata.yaml'], /the same entry name appears twice/),
  },

  // ---- not an archive, or a broken one
  {
    name: 'truncated gzip',
    build: async () =>
      truncated(await buildCharmExport({ charms: [charm('trunc', { files: { 'src/blob.bin': garbage(64 * 1024) } })] }), 0.6),
    status: 422,
    message: says([], /truncated gzip data/),
  },
  {
    name: 'truncated plain tar',
    build: async () =>
      truncated(
        await buildTar(
          [
            { name: 'bundle.yaml', data: 'applications: {}\n' },
            { name: 'big.bin', data: garbage(64 * 1024) },
          ],
          { gzip: false },
        ),
        0.5,
      ),
    status: 422,
    message: says([], /truncated tar data/),
  },
  {
    name: 'a truncated nested charm tarball in an intact export',
    build: async () =>
      buildTar([
        { name: 'bundle.yaml', data: 'applications: {}\n' },
        {
          name: 'cut.tar.gz',
          data: truncated(
            await buildTar([
              { name: 'cut_1.charm', data: await buildCharm({ name: 'cut', files: { 'src/blob.bin': garbage(64 * 1024) } }) },
            ]),
            0.5,
          ),
        },
      ]),
    status: 422,
    message: says(['cut.tar.gz'], /truncated gzip data/),
  },
  {
    name: 'non-gzip, non-tar data',
    build: async () => Buffer.from('this is not an archive\n'.repeat(100)),
    status: 422,
    message: says([], /not a gzip or tar archive/),
  },
  { name: 'an empty file', build: async () => Buffer.alloc(0), status: 422, message: says([], /empty file, expected a \.tar\.gz archive/) },
  { name: 'gzip of garbage (not a tar)', build: async () => gzipSync(garbage(8192)), status: 422, message: says([], /corrupt tar data/) },
  {
    name: 'a nested charm tarball that is gzip of garbage',
    build: () =>
      buildTar([
        { name: 'bundle.yaml', data: 'applications: {}\n' },
        { name: 'gz-garbage.tar.gz', data: gzipSync(garbage(8192)) },
      ]),
    status: 422,
    message: says(['gz-garbage.tar.gz'], /corrupt tar data/),
  },

  // ---- bombs and limits
  {
    name: 'gzip decompression bomb (outer tar)',
    build: () => gzipBombTar('zeros.bin', 200),
    status: 422,
    message: says([], /expands more than 100x .*refused as a decompression bomb \(limit limits\.max-expansion-ratio\)/),
  },
  {
    name: 'gzip decompression bomb (nested charm tarball)',
    build: async () =>
      buildTar([
        { name: 'bundle.yaml', data: 'applications: {}\n' },
        { name: 'bomb.tar.gz', data: await gzipBombTar('zeros.bin', 200) },
      ]),
    status: 422,
    message: says(['bomb.tar.gz'], /expands more than 100x .*decompression bomb/),
  },
  {
    name: 'zip bomb: an entry declaring ~4 GiB',
    build: async () => withZip('zip-liar', lieAboutZipEntrySize(await buildCharm({ name: 'zip-liar' }), 'src/charm.py', 0xfffffff0)),
    status: 422,
    message: says(['zip-liar.tar.gz', 'zip-liar_1.charm'], /zip expands more than 100x: refused as a decompression bomb/),
  },
  {
    name: 'zip bomb: a real 200 MiB entry of zeros',
    build: async () => withZip('zip-zeros', await buildCharm({ name: 'zip-zeros', files: { 'src/zeros.bin': Buffer.alloc(200 << 20) } })),
    status: 422,
    message: says(['zip-zeros.tar.gz', 'zip-zeros_1.charm'], /zip expands more than 100x: refused as a decompression bomb/),
  },
  {
    name: 'zip entry that inflates past its declared size',
    build: async () => withZip('zip-short', lieAboutZipEntrySize(await buildCharm({ name: 'zip-short' }), 'metadata.yaml', 8)),
    status: 422,
    message: says(['zip-short.tar.gz', 'zip-short_1.charm', 'metadata.yaml'], /cannot be read from the zip \(too many bytes in the stream/),
  },
  {
    name: 'more than 20,000 entries in a .charm zip',
    build: async () =>
      withZip(
        'zip-many',
        storedZip([
          { name: 'metadata.yaml', data: charmMetadataYaml({ name: 'zip-many' }) },
          ...Array.from({ length: 20_000 }, (_, i) => ({ name: `f/${i}`, data: '' })),
        ]),
      ),
    status: 422,
    message: says(['zip-many.tar.gz', 'zip-many_1.charm'], /more than 20000 zip entries \(limit limits\.max-members\)/),
  },
  {
    name: 'archives nested deeper than 8 levels',
    build: async () => nestedTars(8, 'deep.tar.gz', await buildTar([{ name: 'deep_1.charm', data: await buildCharm({ name: 'deep' }) }])),
    status: 422,
    message: says(
      ['l2.tar.gz', 'l3.tar.gz', 'l4.tar.gz', 'l5.tar.gz', 'l6.tar.gz', 'l7.tar.gz', 'l8.tar.gz', 'deep.tar.gz'],
      /archives nested deeper than 8 levels \(limit limits\.max-nesting-depth\)/,
    ),
  },
  {
    name: 'a .charm nested deeper than 8 levels',
    build: async () => nestedTars(8, 'deep_1.charm', await buildCharm({ name: 'deep' })),
    status: 422,
    message: says(
      ['l2.tar.gz', 'l3.tar.gz', 'l4.tar.gz', 'l5.tar.gz', 'l6.tar.gz', 'l7.tar.gz', 'l8.tar.gz', 'deep_1.charm'],
      /archives nested deeper than 8 levels/,
    ),
  },
  {
    name: 'more than 20,000 members',
    build: () => manyMembersTar(20_001),
    status: 422,
    message: says([], /more than 20000 members \(limit limits\.max-members\)/),
  },

  // ---- unsafe .charm zips
  {
    name: '.charm zip with a ../evil entry',
    build: async () =>
      withZip(
        'zip-up',
        renameZipEntries(
          await buildCharm({ name: 'zip-up', rawEntries: [{ name: 'XX/evil', data: Buffer.from('x') }] }),
          'XX/evil',
          '../evil',
        ),
      ),
    status: 422,
    message: says(['zip-up.tar.gz', 'zip-up_1.charm', '../evil'], /member path contains "\.\."/),
  },
  {
    name: '.charm zip with an absolute entry',
    build: async () =>
      withZip(
        'zip-abs',
        renameZipEntries(
          await buildCharm({ name: 'zip-abs', rawEntries: [{ name: 'Xetc/passwd', data: Buffer.from('x') }] }),
          'Xetc/passwd',
          '/etc/passwd',
        ),
      ),
    status: 422,
    message: says(['zip-abs.tar.gz', 'zip-abs_1.charm', '/etc/passwd'], /absolute member path/),
  },
  {
    name: '.charm zip with a symlink entry',
    build: () =>
      buildCharmExport({
        charms: [charm('zip-link', { rawEntries: [{ name: 'src/lib', data: Buffer.from('/etc'), mode: symlinkMode }] })],
      }),
    status: 422,
    message: says(['zip-link.tar.gz', 'zip-link_1.charm', 'src/lib'], /symlink entry refused/),
  },
  {
    name: '.charm zip with a character-device entry',
    build: () =>
      buildCharmExport({ charms: [charm('zip-dev', { rawEntries: [{ name: 'src/null', data: Buffer.alloc(0), mode: 0o020666 }] })] }),
    status: 422,
    message: says(['zip-dev.tar.gz', 'zip-dev_1.charm', 'src/null'], /character-device entry refused/),
  },
  {
    name: '.charm zip that is not a zip past its magic',
    build: async () => withZip('zip-broken', Buffer.concat([Buffer.from('PK\x03\x04'), garbage(2048)])),
    status: 422,
    message: says(['zip-broken.tar.gz', 'zip-broken_1.charm'], /not a valid zip archive/),
  },

  // ---- charm content
  {
    name: '.charm without metadata.yaml',
    build: () => buildCharmExport({ charms: [charm('no-meta', { files: { 'metadata.yaml': null } })] }),
    status: 422,
    message: says(['no-meta.tar.gz', 'no-meta_1.charm'], /not a charm: metadata\.yaml is missing/),
  },
  {
    name: 'no bases in manifest.yaml, no series in metadata.yaml or the export YAML',
    build: () => buildCharmExport({ charms: [charm('no-base', { files: { 'manifest.yaml': 'charmcraft-version: 3.2.0\n' } })] }),
    status: 422,
    message: says(['no-base.tar.gz', 'no-base_1.charm', 'manifest.yaml'], /no usable base/, 'bases'),
  },
  {
    name: 'invalid YAML in metadata.yaml',
    build: () => buildCharmExport({ charms: [charm('bad-meta', { files: { 'metadata.yaml': 'name: bad-meta\nsummary: [unclosed\n' } })] }),
    status: 422,
    message: says(['bad-meta.tar.gz', 'bad-meta_1.charm', 'metadata.yaml'], /invalid YAML/),
  },
  {
    name: 'duplicate key in metadata.yaml (Juju refuses it)',
    build: () =>
      buildCharmExport({ charms: [charm('dup-key', { files: { 'metadata.yaml': 'name: dup-key\nsummary: a\nsummary: b\n' } })] }),
    status: 422,
    message: says(['dup-key.tar.gz', 'dup-key_1.charm', 'metadata.yaml'], /invalid YAML: .*unique/),
  },
  {
    name: 'YAML alias bomb in metadata.yaml',
    build: () => buildCharmExport({ charms: [charm('yaml-bomb', { files: { 'metadata.yaml': YAML_BOMB } })] }),
    status: 422,
    message: says(['yaml-bomb.tar.gz', 'yaml-bomb_1.charm', 'metadata.yaml'], /invalid YAML: .*alias/i),
  },
  {
    name: 'YAML nested 50,000 levels deep in config.yaml',
    build: () => buildCharmExport({ charms: [charm('yaml-deep', { config: `options: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n` })] }),
    status: 422,
    message: says(['yaml-deep.tar.gz', 'yaml-deep_1.charm', 'config.yaml'], /invalid YAML/),
  },
  {
    name: 'invalid YAML in manifest.yaml',
    build: () =>
      buildCharmExport({
        charms: [charm('bad-manifest', { files: { 'manifest.yaml': 'bases:\n  - name: ubuntu\n   channel: "22.04\n' } })],
      }),
    status: 422,
    message: says(['bad-manifest.tar.gz', 'bad-manifest_1.charm', 'manifest.yaml'], /invalid YAML/),
  },
  {
    name: 'invalid YAML in bundle.yaml',
    build: () => buildCharmExport({ charms: [charm('bad-bundle')], bundleYaml: 'applications:\n  bad-bundle: {charm: bad-bundle\n' }),
    status: 422,
    message: says(['bundle.yaml'], /invalid YAML/),
  },

  // ---- YAML Juju's charm library refuses (charm v12 meta.go, config.go, actions.go)
  {
    name: 'config.yaml option of a type Juju does not know',
    build: () => buildCharmExport({ charms: [charm('cfg-type', { config: 'options:\n  port:\n    type: integer\n    default: 5432\n' })] }),
    status: 422,
    message: says(
      ['cfg-type.tar.gz', 'cfg-type_1.charm', 'config.yaml'],
      /"integer" is not a type Juju accepts \(string, int, float, boolean, secret\)$/,
      'options.port.type',
    ),
  },
  {
    name: 'config.yaml default that does not match its type',
    build: () => buildCharmExport({ charms: [charm('cfg-default', { config: 'options:\n  port: {type: int, default: "54x"}\n' })] }),
    status: 422,
    message: says(['cfg-default.tar.gz', 'cfg-default_1.charm', 'config.yaml'], /"54x" is not a valid int$/, 'options.port.default'),
  },
  {
    name: 'actions.yaml with a reserved juju- action',
    build: () => buildCharmExport({ charms: [charm('act-juju', { actions: 'juju-run:\n  description: x\n' })] }),
    status: 422,
    message: says(['act-juju.tar.gz', 'act-juju_1.charm', 'actions.yaml'], /the "juju-" prefix is reserved/, 'juju-run'),
  },
  {
    name: 'actions.yaml params that are not a JSON Schema',
    build: () => buildCharmExport({ charms: [charm('act-params', { actions: 'backup:\n  params:\n    target: {type: text}\n' })] }),
    status: 422,
    message: says(
      ['act-params.tar.gz', 'act-params_1.charm', 'actions.yaml'],
      /"text" is not a JSON Schema type/,
      'backup.params.target.type',
    ),
  },
  {
    name: 'metadata.yaml relation without an interface',
    build: () =>
      buildCharmExport({
        charms: [charm('rel-noiface', { files: { 'metadata.yaml': 'name: rel-noiface\nsummary: x\nrequires:\n  db: {limit: 1}\n' } })],
      }),
    status: 422,
    message: says(['rel-noiface.tar.gz', 'rel-noiface_1.charm', 'metadata.yaml'], /expected the interface name/, 'requires.db.interface'),
  },
  {
    name: 'metadata.yaml storage without a type',
    build: () =>
      buildCharmExport({
        charms: [
          charm('store-notype', { files: { 'metadata.yaml': 'name: store-notype\nsummary: x\nstorage:\n  data: {location: /srv}\n' } }),
        ],
      }),
    status: 422,
    message: says(['store-notype.tar.gz', 'store-notype_1.charm', 'metadata.yaml'], /storage type must be specified/, 'storage.data.type'),
  },
  {
    name: 'metadata.yaml container naming a file resource',
    build: () =>
      buildCharmExport({
        charms: [
          charm('ctr-file', {
            files: {
              'metadata.yaml':
                'name: ctr-file\nsummary: x\nresources:\n  img: {type: file, filename: img.tgz}\ncontainers:\n  app: {resource: img}\n',
            },
          }),
        ],
      }),
    status: 422,
    message: says(
      ['ctr-file.tar.gz', 'ctr-file_1.charm', 'metadata.yaml'],
      /refers to resource "img", which is not an oci-image/,
      'containers.app.resource',
    ),
  },
  {
    name: 'metadata.yaml file resource whose filename has a /',
    build: () => buildCharmExport({ charms: [charm('res-slash', { resources: { bin: { type: 'file', filename: 'bin/tool' } } })] }),
    status: 422,
    message: says(
      ['res-slash.tar.gz', 'res-slash_1.charm', 'metadata.yaml'],
      /"bin\/tool": a resource filename cannot contain "\/"/,
      'resources.bin.filename',
    ),
  },

  // ---- resource revisions the export's metadata names but nobody holds
  {
    name: 'metadata.json names a resource revision neither the export nor the store holds',
    build: async () => {
      const c = charm('res-missing', {
        resources: { bin: { type: 'file', filename: 'bin.tgz' } },
        resourceFiles: { bin: { revision: 3, body: 'three' } },
      })
      return buildCharmExport({
        charms: [
          {
            ...c,
            metadataJson: await infoJson(c, (e) => {
              e.resources = [{ name: 'bin', revision: 4, type: 'file' }]
            }),
          },
        ],
      })
    },
    status: 422,
    message: says(
      ['res-missing.tar.gz', 'metadata.json'],
      /names resource bin revision 4 of res-missing, which is neither in this export nor in the store/,
      'channel-map[0].resources[0].revision',
    ),
  },
  {
    name: 'metadata.json names a resource revision of a charm new to the store, with no resource files',
    build: async () => {
      const c = charm('res-none', { resources: { img: { type: 'oci-image' } } })
      return buildCharmExport({
        charms: [
          {
            ...c,
            metadataJson: await infoJson(c, (e) => {
              e.resources = [{ name: 'img', revision: 1, type: 'oci-image' }]
            }),
          },
        ],
      })
    },
    status: 422,
    message: says(
      ['res-none.tar.gz', 'metadata.json'],
      /names resource img revision 1 of res-none, which is neither in this export nor in the store/,
      'channel-map[0].resources[0].revision',
    ),
  },
  {
    name: 'the export YAML pins a resource revision neither the export nor the store holds',
    before: () =>
      buildCharmExport({
        charms: [
          charm('res-pinned', {
            resources: { bin: { type: 'file', filename: 'b' } },
            resourceFiles: { bin: { revision: 1, body: 'one' } },
          }),
        ],
      }),
    build: () =>
      buildCharmExport({
        charms: [charm('res-pinned', { revision: 2, resources: { bin: { type: 'file', filename: 'b' } }, metadataJson: false })],
        bundleYaml: { applications: { 'res-pinned': { charm: 'res-pinned', channel: 'latest/stable', resources: { bin: 7 } } } },
      }),
    status: 422,
    message: says(
      ['bundle.yaml'],
      /names resource bin revision 7 of res-pinned, which is neither in this export nor in the store/,
      'applications.res-pinned.resources.bin',
    ),
  },

  // ---- export metadata against the bytes
  {
    name: 'invalid JSON in metadata.json',
    build: () => buildCharmExport({ charms: [charm('bad-json', { metadataJson: '{"name": "bad-json",' })] }),
    status: 422,
    message: says(['bad-json.tar.gz', 'metadata.json'], /invalid JSON/),
  },
  {
    name: 'metadata.json larger than 16 MiB',
    build: () =>
      buildCharmExport({ charms: [charm('big-json', { metadataJson: `{"name": "big-json", "pad": "${' '.repeat(17 << 20)}"}` })] }),
    status: 422,
    message: says(['big-json.tar.gz', 'metadata.json'], /larger than 16777216 bytes \(limit limits\.max-metadata-bytes\)/),
  },
  {
    name: 'metadata.json hash-sha-256 does not match the .charm',
    build: async () =>
      buildCharmExport({
        charms: [
          charm('bad-sha', {
            metadataJson: await infoJson(charm('bad-sha'), (e) => {
              e.revision.download['hash-sha-256'] = 'f'.repeat(64)
            }),
          }),
        ],
      }),
    status: 422,
    message: says(
      ['bad-sha.tar.gz', 'metadata.json'],
      new RegExp(`f{64} does not match bad-sha_1\\.charm \\(sha256 [0-9a-f]{64}\\)`),
      'channel-map[0].revision.download.hash-sha-256',
    ),
  },
  {
    name: 'metadata.json size does not match the .charm',
    build: async () =>
      buildCharmExport({
        charms: [
          charm('bad-size', {
            metadataJson: await infoJson(charm('bad-size'), (e) => {
              e.revision.download.size = 12345
            }),
          }),
        ],
      }),
    status: 422,
    message: says(
      ['bad-size.tar.gz', 'metadata.json'],
      /12345 does not match bad-size_1\.charm \(\d+ bytes\)/,
      'channel-map[0].revision.download.size',
    ),
  },
  {
    name: 'metadata.json sha384 of a file resource does not match its bytes',
    build: async () => {
      const c = charm('bad-res-hash', {
        resources: { bin: { type: 'file', filename: 'bin.tgz' } },
        resourceFiles: { bin: { revision: 3, body: 'binary' } },
      })
      return buildCharmExport({
        charms: [
          {
            ...c,
            metadataJson: await infoJson(c, (e) => {
              e.resources = [{ name: 'bin', revision: 3, type: 'file', download: { 'hash-sha-384': 'e'.repeat(96) } }]
            }),
          },
        ],
      })
    },
    status: 422,
    message: says(
      ['bad-res-hash.tar.gz', 'metadata.json'],
      /e{96} does not match resources\/bad-res-hash\.bin_3 \([0-9a-f]{96}\)/,
      'channel-map[0].resources[0].download.hash-sha-384',
    ),
  },
  {
    name: 'revision in the .charm file name is not a number (pg_abc.charm)',
    build: async () => rawCharmTarball('pg', [{ name: 'pg_abc.charm', data: await buildCharm({ name: 'pg' }) }]),
    status: 422,
    message: says(['pg.tar.gz', 'pg_abc.charm'], /revision "abc" in the file name is not a positive integer/),
  },
  {
    name: 'revision in the .charm file name is 0 (pg_0.charm)',
    build: async () => rawCharmTarball('pg', [{ name: 'pg_0.charm', data: await buildCharm({ name: 'pg' }) }]),
    status: 422,
    message: says(['pg.tar.gz', 'pg_0.charm'], /revision "0" in the file name is not a positive integer/),
  },

  {
    name: 'a .charm that is not a zip',
    build: async () => rawCharmTarball('pg', [{ name: 'pg_1.charm', data: Buffer.from('not a zip at all\n') }]),
    status: 422,
    message: says(['pg.tar.gz', 'pg_1.charm'], /not a charm: a \.charm must be a zip archive/),
  },
  {
    name: 'a .charm whose file name and metadata.yaml disagree',
    build: async () => rawCharmTarball('pg', [{ name: 'pg_1.charm', data: await buildCharm({ name: 'mysql' }) }]),
    status: 422,
    message: says(['pg.tar.gz', 'pg_1.charm', 'metadata.yaml'], /the charm is named "mysql", but the file name says "pg"/, 'name'),
  },

  // ---- resources
  {
    name: 'oci-image resource that is not JSON',
    build: () =>
      buildCharmExport({
        charms: [
          charm('oci-text', {
            resources: { img: { type: 'oci-image' } },
            resourceFiles: { img: { revision: 1, body: 'registry.example.com/img:1' } },
          }),
        ],
      }),
    status: 422,
    message: says(['oci-text.tar.gz', 'resources/oci-text.img_1'], /invalid JSON/),
  },
  {
    name: 'oci-image resource without ImageName',
    build: () =>
      buildCharmExport({
        charms: [
          charm('oci-noname', {
            resources: { img: { type: 'oci-image' } },
            resourceFiles: { img: { revision: 1, body: { Username: 'u', Password: 'p' } } },
          }),
        ],
      }),
    status: 422,
    message: says(['oci-noname.tar.gz', 'resources/oci-noname.img_1'], /oci-image resource without an ImageName/, 'ImageName'),
  },
  {
    name: 'oci-image resource with an invalid image reference',
    build: () =>
      buildCharmExport({
        charms: [
          charm('oci-badref', {
            resources: { img: { type: 'oci-image' } },
            resourceFiles: { img: { revision: 1, body: { ImageName: 'Registry.Example.com/UPPER CASE:!!' } } },
          }),
        ],
      }),
    status: 422,
    message: says(['oci-badref.tar.gz', 'resources/oci-badref.img_1'], /not a valid image reference/, 'ImageName'),
  },
  {
    name: 'resource not declared in metadata.yaml',
    build: () => buildCharmExport({ charms: [charm('res-ghost', { resourceFiles: { ghost: { revision: 1, body: 'boo' } } })] }),
    status: 422,
    message: says(
      ['res-ghost.tar.gz', 'resources/res-ghost.ghost_1'],
      /charm res-ghost declares no resource named "ghost" in metadata\.yaml/,
    ),
  },

  // ---- conflicts with the store
  {
    name: 'conflicting re-push: same name and revision, different bytes',
    before: () => buildCharmExport({ charms: [charm('conflict', { revision: 7 })] }),
    build: () => buildCharmExport({ charms: [charm('conflict', { revision: 7, summary: 'changed' })] }),
    status: 409,
    message: says(['conflict.tar.gz', 'conflict_7.charm'], /conflict revision 7 is already in the store with different content/),
  },
  {
    name: 'conflicting resource revision',
    before: () =>
      buildCharmExport({
        charms: [
          charm('res-conflict', {
            resources: { bin: { type: 'file', filename: 'bin.tgz' } },
            resourceFiles: { bin: { revision: 3, body: 'one' } },
          }),
        ],
      }),
    build: () =>
      buildCharmExport({
        charms: [
          charm('res-conflict', {
            resources: { bin: { type: 'file', filename: 'bin.tgz' } },
            resourceFiles: { bin: { revision: 3, body: 'two' } },
          }),
        ],
      }),
    status: 409,
    message: says(
      ['res-conflict.tar.gz', 'resources/res-conflict.bin_3'],
      /resource bin revision 3 of res-conflict is already in the store with different content/,
    ),
  },

  // ---- all or nothing
  {
    name: 'two charms, the second bad: the first is not imported either',
    build: () => buildCharmExport({ charms: [charm('two-good'), charm('two-bad', { files: { 'metadata.yaml': null } })] }),
    status: 422,
    message: says(['two-bad.tar.gz', 'two-bad_1.charm'], /not a charm: metadata\.yaml is missing/),
  },
  {
    name: 'a good charm, then a hostile outer member',
    build: () =>
      exportWith(
        'then-bad',
        [{ name: 'later/../../x', data: 'x' }],
        [
          charm('then-bad-too', {
            resources: { bin: { type: 'file', filename: 'b' } },
            resourceFiles: { bin: { revision: 1, body: 'bytes' } },
          }),
        ],
      ),
    status: 422,
    message: says(['later/../../x'], /member path contains "\.\."/),
  },
]

/** Builds each upload once, for every dialect. */
const memo = new Map<() => Promise<Buffer>, Promise<Buffer>>()
const built = (f: () => Promise<Buffer>): Promise<Buffer> => {
  let p = memo.get(f)
  if (!p) {
    p = f()
    memo.set(f, p)
  }
  return p
}

async function tmpFiles(t: TestApp): Promise<string[]> {
  try {
    return await readdir(join(t.dataDir, 'tmp'), { recursive: true })
  } catch {
    return []
  }
}

/**
 * POSTs `data` as a multipart upload over a real socket, in 1 MiB writes, and reports whether the
 * whole body could be sent (a server that stops reading a refused upload stalls the client).
 */
async function uploadOverHttp(
  t: TestApp,
  url: string,
  filename: string,
  data: Buffer,
): Promise<{ status: number; body: any; sentAll: boolean }> {
  const boundary = 'hostile-boundary'
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  )
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
  let sentAll = false
  const req = http.request(new URL('/admin/v1/charms', url), {
    method: 'POST',
    headers: {
      authorization: `Bearer ${t.token}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': head.length + data.length + tail.length,
    },
  })
  const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req.on('response', (r) => {
      let text = ''
      r.on('data', (c) => (text += c))
      r.on('end', () => resolve({ status: r.statusCode ?? 0, text }))
    })
    req.on('error', reject)
  })
  const sending = (async () => {
    req.write(head)
    for (let i = 0; i < data.length; i += 1 << 20) {
      if (!req.write(data.subarray(i, i + (1 << 20)))) await new Promise((r) => req.once('drain', r))
    }
    req.end(tail)
    sentAll = true
  })()
  let timer: NodeJS.Timeout | undefined
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      req.destroy()
      reject(new Error(`upload stalled after the answer: the server stopped reading the request (sent all: ${sentAll})`))
    }, 15_000)
  })
  try {
    const [res] = await Promise.race([Promise.all([response, sending]), stalled])
    return { status: res.status, body: JSON.parse(res.text), sentAll }
  } finally {
    clearTimeout(timer)
  }
}

describe.each(dialects)('%s: hostile charm exports', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp(dialect)
    // Something in the store already, so "unchanged" means more than "still empty".
    const seed = await t.push(
      '/admin/v1/charms',
      'seed.tar.gz',
      await buildCharmExport({
        charms: [
          charm('seed', { resources: { bin: { type: 'file', filename: 'b' } }, resourceFiles: { bin: { revision: 1, body: 'seed' } } }),
        ],
      }),
    )
    expect(seed.status, JSON.stringify(seed.body)).toBe(200)
  })
  afterAll(async () => {
    await t?.close()
  })

  it.each(CASES.map((c) => [c.name, c] as const))('refuses %s', async (_name, c) => {
    if (c.before) {
      const first = await t.push('/admin/v1/charms', 'before.tar.gz', await built(c.before))
      expect(first.status, JSON.stringify(first.body)).toBe(200)
    }
    const upload = await built(c.build)
    const before = await t.dump()
    const res = await t.push('/admin/v1/charms', FILE, upload)
    expect(res.status, JSON.stringify(res.body)).toBe(c.status)
    expect(res.body.error.code).toBe(c.status === 409 ? 'conflict' : 'invalid-input')
    expect(res.body.error.message).toMatch(c.message)
    expect(await t.dump()).toBe(before)
    expect(await tmpFiles(t)).toEqual([])
  })

  it('over a real socket, reads the rest of a refused upload and answers (no stalled client)', async () => {
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' })
    // Refused at the first member; 32 MiB more follow that the server must still read.
    const data = await buildTar(
      [
        { name: '../x', data: 'x' },
        { name: 'big.bin', data: garbage(32 << 20) },
      ],
      { gzip: false },
    )
    const before = await t.dump()
    const res = await uploadOverHttp(t, url, FILE, data)
    expect(res.sentAll).toBe(true)
    expect(res.status).toBe(422)
    expect(res.body.error.message).toMatch(says(['../x'], /member path contains "\.\."/))
    expect(await t.dump()).toBe(before)
  })

  it('imports a valid export with a ./ prefix and a charms-export-xxx/ directory', async () => {
    const data = await buildCharmExport({
      prefix: './charms-export-20240426T163115',
      charms: [charm('prefixed', { revision: 5, extraMembers: [{ name: './resources/', type: 'directory' }] })],
      extraMembers: [
        { name: './', type: 'directory' },
        { name: './charms-export-20240426T163115/', type: 'directory' },
      ],
    })
    const res = await t.push('/admin/v1/charms', FILE, data)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.revisions).toMatchObject([{ name: 'prefixed', revision: 5, status: 'imported', released: ['latest/stable'] }])
    expect(await tmpFiles(t)).toEqual([])
  })

  it('accepts metadata naming a resource revision the store already holds, without the file', async () => {
    const first = await t.push(
      '/admin/v1/charms',
      'held-1.tar.gz',
      await buildCharmExport({
        charms: [
          charm('res-held', { resources: { bin: { type: 'file', filename: 'b' } }, resourceFiles: { bin: { revision: 5, body: 'five' } } }),
        ],
      }),
    )
    expect(first.status, JSON.stringify(first.body)).toBe(200)
    const c = charm('res-held', { revision: 2, resources: { bin: { type: 'file', filename: 'b' } } })
    const res = await t.push(
      '/admin/v1/charms',
      'held-2.tar.gz',
      await buildCharmExport({
        charms: [
          {
            ...c,
            metadataJson: await infoJson(c, (e) => {
              e.resources = [{ name: 'bin', revision: 5, type: 'file' }]
            }),
          },
        ],
        bundleYaml: { applications: { 'res-held': { charm: 'res-held', resources: { bin: 5 } } } },
      }),
    )
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.revisions).toMatchObject([{ name: 'res-held', revision: 2, status: 'imported' }])
  })

  it('stores a file resource that is itself a tarball as bytes, without walking into it', async () => {
    const tarball = await buildTar([
      { name: 'bin/tool', data: '#!/bin/sh\n' },
      { name: 'bin/link', type: 'symlink', linkname: 'tool' },
    ])
    const data = await buildCharmExport({
      charms: [
        charm('tgz-res', {
          resources: { bin: { type: 'file', filename: 'bin.tgz' }, img: { type: 'oci-image' } },
          resourceFiles: { bin: { revision: 2, body: tarball }, img: { revision: 4, body: OCI } },
        }),
      ],
    })
    const res = await t.push('/admin/v1/charms', FILE, data)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.revisions[0].resources).toEqual([
      { name: 'bin', type: 'file', revision: 2 },
      { name: 'img', type: 'oci-image', revision: 4 },
    ])
  })
})
