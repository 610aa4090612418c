// Fixture builders: real .charm zips (yazl) and real store-admin-shaped export tarballs
// (tar-stream + gzip), written to a temp dir. Tests describe what they want, not bytes.
import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createGzip, gzipSync } from 'node:zlib'
import tar from 'tar-stream'
import yazl from 'yazl'
import { stringify } from 'yaml'

export interface CharmSpec {
  name: string
  revision?: number
  bases?: string[] // "ubuntu@22.04/amd64" or "ubuntu@22.04/amd64,arm64"
  summary?: string
  resources?: Record<string, { type: 'file' | 'oci-image'; filename?: string; description?: string }>
  config?: string | null
  actions?: string | null
  /** Extra or replacement zip entries: path → content (null removes a default entry). */
  files?: Record<string, string | Buffer | null>
  /** Raw zip entries added after the defaults (for hostile cases: duplicate names, odd paths). */
  rawEntries?: Array<{ name: string; data: Buffer; mode?: number }>
}

export function charmMetadataYaml(spec: CharmSpec): string {
  return stringify({
    name: spec.name,
    summary: spec.summary ?? `The ${spec.name} charm`,
    description: `Test charm ${spec.name}.`,
    ...(spec.resources ? { resources: spec.resources } : {}),
    provides: { db: { interface: 'pgsql' } },
  })
}

export function manifestYaml(bases: string[]): string {
  const out = bases.map((b) => {
    const m = /^(\w+)@([\d.]+)\/(.+)$/.exec(b)
    if (!m) throw new Error(`bad base spec ${b}`)
    return { name: m[1], channel: m[2], architectures: m[3]!.split(',') }
  })
  return stringify({
    'charmcraft-version': '3.2.0',
    'charmcraft-started-at': '2024-05-01T10:00:00Z',
    bases: out,
    analysis: { attributes: [] },
  }).replace(/channel: ([\d.]+)/g, "channel: '$1'")
}

/** A real .charm zip, as a Buffer. */
export async function buildCharm(spec: CharmSpec): Promise<Buffer> {
  const zip = new yazl.ZipFile()
  const entries: Record<string, string | Buffer | null> = {
    'metadata.yaml': charmMetadataYaml(spec),
    'manifest.yaml': manifestYaml(spec.bases ?? ['ubuntu@22.04/amd64']),
    'config.yaml':
      spec.config === undefined ? stringify({ options: { port: { type: 'int', default: 5432, description: 'port' } } }) : spec.config,
    'actions.yaml': spec.actions === undefined ? stringify({ backup: { description: 'Back up.' } }) : spec.actions,
    'src/charm.py': '#!/usr/bin/env python3\nprint("hello")\n',
    dispatch: '#!/bin/sh\nexec ./src/charm.py\n',
    ...spec.files,
  }
  for (const [name, data] of Object.entries(entries)) {
    if (data === null) continue
    zip.addBuffer(Buffer.isBuffer(data) ? data : Buffer.from(data), name, { mtime: new Date('2024-01-01T00:00:00Z'), mode: 0o100644 })
  }
  for (const e of spec.rawEntries ?? [])
    zip.addBuffer(e.data, e.name, { mtime: new Date('2024-01-01T00:00:00Z'), mode: e.mode ?? 0o100644 })
  zip.end()
  const chunks: Buffer[] = []
  for await (const c of zip.outputStream as AsyncIterable<Buffer>) chunks.push(c)
  return Buffer.concat(chunks)
}

export interface TarMemberSpec {
  name: string
  data?: Buffer | string
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo'
  linkname?: string
  /** Stream the data from a generator (large members) with this declared size. */
  stream?: { size: number; chunks: () => AsyncIterable<Buffer> }
}

/** A tar (gzipped unless `gzip: false`) from members, as a Buffer. */
export async function buildTar(members: TarMemberSpec[], opts: { gzip?: boolean } = {}): Promise<Buffer> {
  const pack = tar.pack()
  const done = (async () => {
    const parts: Buffer[] = []
    for await (const c of pack as AsyncIterable<Buffer>) parts.push(c)
    return Buffer.concat(parts)
  })()
  for (const m of members) {
    const type = m.type ?? 'file'
    const data = m.data === undefined ? Buffer.alloc(0) : Buffer.isBuffer(m.data) ? m.data : Buffer.from(m.data)
    const header = {
      name: m.name,
      type,
      mode: type === 'directory' ? 0o755 : 0o644,
      mtime: new Date('2024-01-01T00:00:00Z'),
      ...(m.linkname ? { linkname: m.linkname } : {}),
      ...(type === 'file' ? { size: data.length } : {}),
    }
    await new Promise<void>((resolve, reject) => {
      if (type === 'file') pack.entry(header, data, (err) => (err ? reject(err) : resolve()))
      else pack.entry(header, (err) => (err ? reject(err) : resolve()))
    })
  }
  pack.finalize()
  const tarBytes = await done
  return opts.gzip === false ? tarBytes : gzipSync(tarBytes)
}

export interface ExportCharm extends CharmSpec {
  revision: number
  /** resource name → {revision, body}; body is file bytes or the oci JSON object. */
  resourceFiles?: Record<string, { revision: number; body: Buffer | string | object }>
  /** metadata.json content: an object, a raw string, or false for none (default: an info-like JSON). */
  metadataJson?: object | string | false
  id?: string
  publisher?: { id: string; username: string; displayName: string } | false
  /** Extra members inside this charm's nested tarball. */
  extraMembers?: TarMemberSpec[]
}

export interface ExportSpec {
  charms: ExportCharm[]
  /** The top-level bundle.yaml (export input); default: one application per charm. */
  bundleYaml?: string | object | false
  /** Extra members in the outer tarball. */
  extraMembers?: TarMemberSpec[]
  /** Directory prefix for every outer member (some exports may have one). */
  prefix?: string
}

export function accountAssertion(p: { id: string; username: string; displayName: string }): string {
  return (
    [
      'type: account',
      'authority-id: canonical',
      'revision: 1',
      `account-id: ${p.id}`,
      `display-name: ${p.displayName}`,
      'timestamp: 2024-01-01T00:00:00.000000Z',
      `username: ${p.username}`,
      'validation: verified',
      'sign-key-sha3-384: BWDEoaqyr25nF5SNCvEv2v7QnM9QsfCc0PBMYD_i2NGSQ32EF2d4D0hqUel3m8ul',
      '',
      'AcLBUgQAAQoABgUCZfake0AAAAAAA' + 'x'.repeat(64),
    ].join('\n') + '\n'
  )
}

function infoMetadata(c: ExportCharm, charmBytes: Buffer, id: string): object {
  const bases = (c.bases ?? ['ubuntu@22.04/amd64']).flatMap((b) => {
    const m = /^(\w+)@([\d.]+)\/(.+)$/.exec(b)!
    return m[3]!.split(',').map((a) => ({ name: m[1], channel: m[2], architecture: a }))
  })
  const download = {
    'hash-sha-256': createHash('sha256').update(charmBytes).digest('hex'),
    size: charmBytes.length,
    url: `https://api.charmhub.io/api/v1/charms/download/${id}_${c.revision}.charm`,
  }
  return {
    type: 'charm',
    id,
    name: c.name,
    'channel-map': bases.map((base) => ({
      channel: { base, name: 'stable', 'released-at': '2024-05-01T10:00:00.000000+00:00', risk: 'stable', track: 'latest' },
      revision: {
        attributes: {},
        bases,
        'created-at': '2024-05-01T10:00:00.000000+00:00',
        download,
        revision: c.revision,
        version: String(c.revision),
      },
    })),
    result: {
      summary: c.summary ?? `The ${c.name} charm`,
      publisher: { id: 'pUbLiShErId00000000000000000000a', username: 'tester', 'display-name': 'Tester', validation: 'verified' },
      links: { website: ['https://example.com'] },
    },
  }
}

export function stableId(name: string): string {
  return createHash('sha256')
    .update(name)
    .digest('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 32)
    .padEnd(32, 'x')
}

/** Builds a whole export tarball (a Buffer) shaped like `store-admin export charms`. */
export async function buildCharmExport(spec: ExportSpec): Promise<Buffer> {
  const outer: TarMemberSpec[] = []
  const pre = spec.prefix ? `${spec.prefix.replace(/\/$/, '')}/` : ''
  if (spec.bundleYaml !== false) {
    const y = spec.bundleYaml ?? {
      applications: Object.fromEntries(spec.charms.map((c) => [c.name, { charm: c.name, channel: 'latest/stable' }])),
    }
    outer.push({ name: `${pre}bundle.yaml`, data: typeof y === 'string' ? y : stringify(y) })
  }
  for (const c of spec.charms) {
    const charm = await buildCharm(c)
    const id = c.id ?? stableId(c.name)
    const inner: TarMemberSpec[] = [{ name: `${c.name}_${c.revision}.charm`, data: charm }]
    if (c.publisher !== false) {
      inner.push({
        name: `${c.name}_publisher_account.assert`,
        data: accountAssertion(c.publisher ?? { id: 'pUbLiShErId00000000000000000000a', username: 'tester', displayName: 'Tester' }),
      })
    }
    if (c.metadataJson !== false) {
      const m = c.metadataJson ?? infoMetadata(c, charm, id)
      inner.push({ name: 'metadata.json', data: typeof m === 'string' ? m : JSON.stringify(m) })
    }
    for (const [res, f] of Object.entries(c.resourceFiles ?? {})) {
      const body = Buffer.isBuffer(f.body) || typeof f.body === 'string' ? f.body : JSON.stringify(f.body)
      inner.push({ name: `resources/${c.name}.${res}_${f.revision}`, data: body })
    }
    inner.push(...(c.extraMembers ?? []))
    outer.push({ name: `${pre}${c.name}.tar.gz`, data: await buildTar(inner) })
  }
  outer.push(...(spec.extraMembers ?? []))
  return buildTar(outer)
}

export async function writeFixture(dir: string, name: string, data: Buffer): Promise<string> {
  const p = join(dir, name)
  await mkdir(dirname(p), { recursive: true })
  await pipeline(async function* () {
    yield data
  }, createWriteStream(p))
  return p
}

export { createGzip }
