// Reads a `store-admin export charms` tarball as it streams in (docs/protocol/export-formats.md §2, §7):
// nested tarballs at any depth, .charm zips (the source of truth), metadata.json where present,
// resources, the publisher's account assertion and the export YAML. Blobs are written as they pass;
// nothing is visible in the catalog until the caller commits the parsed result.
import { pipeline } from 'node:stream/promises'
import type { Logger } from 'pino'
import type { ImportLimits } from '../config/schema.js'
import { InvalidInput, isBlobStoreUnavailable, type Location } from '../catalog/errors.js'
import type { BlobStore, CommittedBlob } from '../storage/blobs/blob-store.js'
import { drain, readAllLimited, isGzip, isTar, isZip, peek } from './chunks.js'
import { baseName, dirName } from './member-path.js'
import { walkTar, type TarMember, type WalkContext } from './tar-entries.js'
import { indexZip } from './zip-reader.js'
import { readCharmContent, type CharmContent } from './charm-archive.js'
import { readExportMetadata, type ExportMetadata } from './metadata-json.js'
import { parseAssertions, type Assertion } from '../assertions/parse.js'
import { readExportApplications, type ExportApplication } from './export-yaml.js'
import { parseJson, parseYamlMapping } from './yaml-text.js'
import { walkUpload } from './upload-walk.js'

export interface ResourceFile {
  readonly charm: string
  readonly name: string
  readonly revision: number
  readonly blob: CommittedBlob
  readonly location: Location
  readonly scope: string
}

export interface CharmFile {
  readonly revision: number
  readonly blob: CommittedBlob
  readonly content: CharmContent
  readonly location: Location
  readonly scope: string
}

export interface BundleFile {
  /** From "<name>_<revision>.bundle"; undefined when the file name does not say. */
  readonly name?: string | undefined
  readonly revision?: number | undefined
  readonly blob: CommittedBlob
  readonly bundleYaml: string
  readonly readme: string
  readonly location: Location
}

export interface ParsedCharmExport {
  readonly charms: readonly CharmFile[]
  /** Bundle archives (.bundle zips, or zips with bundle.yaml and no metadata.yaml). */
  readonly bundles: readonly BundleFile[]
  /** YAML files at the top of the export, verbatim (a bundle export's bundle.yaml). */
  readonly yamlTexts: ReadonlyArray<{ member: string; text: string; location: Location }>
  readonly metadata: ReadonlyArray<{ value: ExportMetadata; location: Location; scope: string }>
  readonly assertions: ReadonlyArray<{ assertions: Assertion[]; member: string; location: Location; scope: string }>
  readonly resources: readonly ResourceFile[]
  readonly applications: readonly ExportApplication[]
  readonly ignored: readonly string[]
}

export interface ReadOptions {
  readonly file: string
  readonly blobs: BlobStore
  readonly limits: ImportLimits
  readonly log: Logger
  /** Every blob this import created (not ones that already existed), for rollback. */
  readonly created: string[]
  /** Bundle exports need not contain a .charm (the bundle's charms may already be in the store). */
  readonly allowNoCharms?: boolean
}

/** "pg_20.charm" → {name:"pg", revision:"20"}: the revision is after the right-most "_". */
function splitRevision(stem: string): { name: string; rev: string } | undefined {
  const i = stem.lastIndexOf('_')
  return i <= 0 ? undefined : { name: stem.slice(0, i), rev: stem.slice(i + 1) }
}

function positiveRevision(rev: string, where: Location, min = 1): number {
  if (!/^\d{1,9}$/.test(rev) || Number(rev) < min) {
    throw new InvalidInput(
      where,
      `revision ${JSON.stringify(rev)} in the file name is not a ${min === 1 ? 'positive' : 'non-negative'} integer`,
    )
  }
  return Number(rev)
}

export async function readCharmExport(input: AsyncIterable<Buffer>, opts: ReadOptions): Promise<ParsedCharmExport> {
  const out = {
    charms: [] as CharmFile[],
    metadata: [] as ParsedCharmExport['metadata'][number][],
    assertions: [] as ParsedCharmExport['assertions'][number][],
    resources: [] as ResourceFile[],
    applications: [] as ExportApplication[],
    ignored: [] as string[],
    bundles: [] as BundleFile[],
    yamlTexts: [] as ParsedCharmExport['yamlTexts'][number][],
  }

  async function storeBlob(stream: AsyncIterable<Buffer>, where: Location): Promise<CommittedBlob> {
    const writer = await opts.blobs.create()
    try {
      await pipeline(stream, writer)
      const blob = await writer.commit()
      if (blob.created) opts.created.push(blob.sha256)
      return blob
    } catch (err) {
      await writer.cancel()
      // The object store not answering is not the export's fault: passed through for a 503.
      if (err instanceof InvalidInput || isBlobStoreUnavailable(err)) throw err
      throw new InvalidInput(where, `cannot be read: ${(err as Error).message}`)
    } finally {
      await writer.cancel()
    }
  }

  async function visit(m: TarMember, ctx: WalkContext): Promise<void> {
    const scope = ctx.chain.join('\0')
    const name = baseName(m.path)
    const { head, stream } = await peek(m.stream, 512)
    // Resource files are opaque bytes (docs/protocol/export-formats.md §7, item 5): a file resource is often a
    // tarball itself, and must be stored as it is, not walked as part of the export.
    if (dirName(m.path).split('/').at(-1) === 'resources') {
      const dot = name.indexOf('.')
      const parts = dot > 0 ? splitRevision(name.slice(dot + 1)) : undefined
      if (!parts) throw new InvalidInput(m.location, 'resource file name is not <charm>.<resource>_<revision>')
      const revision = positiveRevision(parts.rev, m.location, 0)
      const blob = await storeBlob(stream, m.location)
      out.resources.push({ charm: name.slice(0, dot), name: parts.name, revision, blob, location: m.location, scope })
      return
    }
    if (isGzip(head) || isTar(head)) {
      await walkTar(stream, m.nested, (inner) => visit(inner, m.nested))
      return
    }
    const small = () =>
      readAllLimited(
        stream,
        opts.limits.maxMetadataBytes,
        () => new InvalidInput(m.location, `larger than ${opts.limits.maxMetadataBytes} bytes (limit limits.max-metadata-bytes)`),
      )

    if (name.endsWith('.charm') && !isZip(head)) throw new InvalidInput(m.location, 'not a charm: a .charm must be a zip archive')
    if (isZip(head) && name.endsWith('.charm')) {
      const parts = splitRevision(name.slice(0, -'.charm'.length))
      if (!parts) throw new InvalidInput(m.location, 'cannot tell the revision: expected <charm>_<revision>.charm')
      const revision = positiveRevision(parts.rev, m.location)
      if (m.nested.depth > opts.limits.maxNestingDepth)
        throw new InvalidInput(
          m.location,
          `archives nested deeper than ${opts.limits.maxNestingDepth} levels (limit limits.max-nesting-depth)`,
        )
      const blob = await storeBlob(stream, m.location)
      const zip = await indexZip(await opts.blobs.openFile(blob.sha256), blob.size, m.location, opts.limits, ctx.budget)
      try {
        const content = await readCharmContent(zip, m.location)
        // store-admin names the file after the charm; a different name inside means a mixed-up export.
        if (parts.name !== content.name)
          throw new InvalidInput(
            { ...m.location, member: [...(m.location.member ?? []), 'metadata.yaml'], field: 'name' },
            `the charm is named ${JSON.stringify(content.name)}, but the file name says ${JSON.stringify(parts.name)}`,
          )
        out.charms.push({ revision, blob, content, location: m.location, scope })
      } finally {
        zip.close()
      }
      return
    }
    if (isZip(head) && (name.endsWith('.bundle') || name.endsWith('.zip'))) {
      const parts = name.endsWith('.bundle') ? splitRevision(name.slice(0, -'.bundle'.length)) : undefined
      const revision = parts ? positiveRevision(parts.rev, m.location) : undefined
      const blob = await storeBlob(stream, m.location)
      const zip = await indexZip(await opts.blobs.openFile(blob.sha256), blob.size, m.location, opts.limits, ctx.budget)
      try {
        const bundleYaml = await zip.read('bundle.yaml')
        const readme = await zip.read('README.md')
        if (!bundleYaml) throw new InvalidInput(m.location, 'not a bundle: bundle.yaml is missing')
        // Juju refuses a bundle archive without README.md (charm v12 bundlearchive.go).
        if (!readme) throw new InvalidInput(m.location, 'not a bundle: README.md is missing')
        out.bundles.push({
          name: parts?.name,
          revision,
          blob,
          bundleYaml: bundleYaml.toString('utf8'),
          readme: readme.toString('utf8'),
          location: m.location,
        })
      } finally {
        zip.close()
      }
      return
    }
    if (name === 'metadata.json') {
      const value = parseJson((await small()).toString('utf8'), m.location)
      out.metadata.push({ value: readExportMetadata(value, m.location), location: m.location, scope })
      return
    }
    if (name.endsWith('.assert')) {
      out.assertions.push({ assertions: parseAssertions(await small(), m.location), member: name, location: m.location, scope })
      return
    }
    if (/\.ya?ml$/.test(name) && ctx.depth === 1) {
      const text = (await small()).toString('utf8')
      const doc = parseYamlMapping(text, m.location)
      out.applications.push(...readExportApplications(doc, m.location))
      out.yamlTexts.push({ member: name, text, location: m.location })
      return
    }
    opts.log.info({ file: opts.file, member: [...ctx.chain, m.path] }, 'ignoring unknown export member')
    out.ignored.push([...ctx.chain, m.path].join(': '))
    // Awaited, not resume()d: a flowing stream nobody listens to would turn a later stream error
    // into an uncaught 'error' event (a crash) instead of a refused import.
    await drain(stream)
  }

  await walkUpload(input, opts.file, opts.limits, (m, root) => visit(m, root))
  if (out.charms.length === 0 && !opts.allowNoCharms) throw new InvalidInput({ file: opts.file }, 'no .charm file found in the export')
  return out
}
