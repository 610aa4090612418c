// Fixture builders for snaps: real squashfs .snap files (mksquashfs, byte-for-byte reproducible), their
// assertions signed with snapd's public test store key (chaining to the `testrootorg` test root), and
// export tarballs or `snap download` pairs built from them. (Owned by the snap importer; the Snap
// Store API's fixtures are in snap-store-fixtures.ts.)
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { account, fixture, FIXTURES, snapDeclaration, snapRevision, testStoreKey, type SigningKey } from './assertion-signer.js'
import { buildTar, type TarMemberSpec } from './charm-builder.js'

/** --trusted-assertions for the test root (what a `withtestkeys` snapd trusts besides Canonical). */
export const TEST_ROOT_FILES = [FIXTURES + 'testrootorg.account', FIXTURES + 'test-root.account-key']
export const SIGNED_AT = new Date('2024-06-01T12:00:00Z')
export const PUBLISHER = { id: 'pub1', username: 'publisher-one', displayName: 'Publisher One' }

export interface SnapSpec {
  name: string
  version?: string
  architectures?: string[]
  /** Appended to the generated meta/snap.yaml. */
  extraYaml?: string
  /** Replaces meta/snap.yaml entirely; null leaves it out. */
  snapYaml?: string | null
  /** Extra files in the image. */
  files?: Record<string, string>
}

export function snapYamlOf(spec: SnapSpec): string {
  const archs = spec.architectures ? `architectures:\n${spec.architectures.map((a) => `  - ${a}\n`).join('')}` : ''
  return (
    `name: ${spec.name}\nversion: '${spec.version ?? '1.0'}'\nsummary: ${spec.name} summary\ndescription: |\n  The ${spec.name} snap.\n` +
    `base: core22\nconfinement: strict\ngrade: stable\n${archs}apps:\n  ${spec.name}:\n    command: bin/${spec.name}\n${spec.extraYaml ?? ''}`
  )
}

/** A real squashfs image, built as `snap pack` builds one (xz, no fragments, all-root), with fixed times. */
export function buildSnap(spec: SnapSpec): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-snap-'))
  try {
    const root = join(dir, 'root')
    const files: Record<string, string> = { [`bin/${spec.name}`]: `#!/bin/sh\necho ${spec.name}\n`, ...spec.files }
    const yaml = spec.snapYaml === undefined ? snapYamlOf(spec) : spec.snapYaml
    if (yaml !== null) files['meta/snap.yaml'] = yaml
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, name)), { recursive: true })
      writeFileSync(join(root, name), text)
    }
    const out = join(dir, 'out.snap')
    const r = spawnSync(
      'mksquashfs',
      [
        root,
        out,
        '-noappend',
        '-comp',
        'xz',
        '-no-fragments',
        '-all-root',
        '-no-xattrs',
        '-mkfs-time',
        '0',
        '-all-time',
        '0',
        '-quiet',
        '-no-progress',
      ],
      { encoding: 'utf8' },
    )
    if (r.status !== 0) throw new Error(`mksquashfs failed (install squashfs-tools): ${r.error?.message ?? r.stderr}`)
    return readFileSync(out)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A stable 32-character snap-id for a name. */
export const snapIdOf = (name: string): string => createHash('sha256').update(`snap-id:${name}`).digest('hex').slice(0, 32)

export interface AssertSpec {
  snap: Buffer
  name: string
  revision: number
  snapId?: string
  /** snap-name in the snap-declaration; default `name`. */
  declaredName?: string
  /** Extra or overriding snap-revision headers (e.g. a wrong snap-size). */
  revisionHeaders?: Record<string, string>
  key?: SigningKey
}

/**
 * The assertions `snap download` writes next to a snap: the signing account-key, the publisher's
 * account, the snap-declaration and the snap-revision, all by testrootorg with the test store key.
 */
export function snapAssertions(o: AssertSpec): Buffer {
  const key = o.key ?? testStoreKey()
  const common = { key, timestamp: SIGNED_AT, signedAt: SIGNED_AT }
  const snapId = o.snapId ?? snapIdOf(o.name)
  return Buffer.concat([
    fixture('test-store.account-key'),
    Buffer.from('\n'),
    account({
      ...common,
      accountId: PUBLISHER.id,
      username: PUBLISHER.username,
      displayName: PUBLISHER.displayName,
      validation: 'verified',
    }),
    Buffer.from('\n'),
    snapDeclaration({ ...common, snapId, snapName: o.declaredName ?? o.name, publisherId: PUBLISHER.id }),
    Buffer.from('\n'),
    snapRevision({ ...common, snap: o.snap, snapId, revision: o.revision, developerId: PUBLISHER.id, extra: o.revisionHeaders }),
  ])
}

export interface SignedSnap {
  readonly name: string
  readonly revision: number
  readonly snap: Buffer
  readonly assert: Buffer
}

export function signedSnap(spec: SnapSpec & { revision: number }, assert: Partial<AssertSpec> = {}): SignedSnap {
  const snap = buildSnap(spec)
  return {
    name: spec.name,
    revision: spec.revision,
    snap,
    assert: snapAssertions({ snap, name: spec.name, revision: spec.revision, ...assert }),
  }
}

export interface SnapExportSpec {
  /** Directory prefix inside the tarball (exports may have one). */
  prefix?: string
  snaps: SignedSnap[]
  /** Written as <prefix>channel-map.json when given. */
  json?: unknown
  extraMembers?: TarMemberSpec[]
}

/** A store-admin-shaped snap export: <name>_<rev>.snap and .assert per revision, plus JSON. */
export async function buildSnapExport(spec: SnapExportSpec): Promise<Buffer> {
  const pre = spec.prefix ?? ''
  const members: TarMemberSpec[] = spec.snaps.flatMap((s) => [
    { name: `${pre}${s.name}_${s.revision}.snap`, data: s.snap },
    { name: `${pre}${s.name}_${s.revision}.assert`, data: s.assert },
  ])
  if (spec.json !== undefined) members.push({ name: `${pre}channel-map.json`, data: JSON.stringify(spec.json, null, 2) })
  return buildTar([...members, ...(spec.extraMembers ?? [])])
}

/** A `snap download` pair packed the way `airlock push-snap X.snap X.assert` sends it: a plain tar. */
export function packPair(
  s: SignedSnap,
  names: [string, string] = [`${s.name}_${s.revision}.snap`, `${s.name}_${s.revision}.assert`],
): Promise<Buffer> {
  return buildTar(
    [
      { name: names[0], data: s.snap },
      { name: names[1], data: s.assert },
    ],
    { gzip: false },
  )
}

/** The assertion stream with one byte of the `type`'s signature changed (still valid base64). */
export function flipSignatureByte(stream: Buffer, type: string): Buffer {
  const start = stream.indexOf(`type: ${type}\n`)
  const sig = stream.indexOf('\n\n', start) + 2
  const out = Buffer.from(stream)
  const at = sig + 60
  out[at] = out[at] === 0x41 ? 0x42 : 0x41
  return out
}

/** The stream with the last assertion's signature removed (content and blank line kept). */
export function withoutLastSignature(stream: Buffer): Buffer {
  const last = stream.lastIndexOf('type: ')
  return stream.subarray(0, stream.indexOf('\n\n', last) + 2)
}

/** The stream cut in the middle of the last assertion's headers. */
export function truncatedInHeaders(stream: Buffer): Buffer {
  return stream.subarray(0, stream.lastIndexOf('type: ') + 40)
}
