// Reads a snap upload as it streams in: a `store-admin export snaps` tarball, or a `snap download`
// pair (X.snap + X.assert) that the CLI packs into a tar on the fly. Member names are unknown
// (docs/protocol/export-formats.md §4), so members are classified by content at any depth (§7): squashfs
// images, assertion streams, JSON. Snap blobs are written to the blob store as they pass; nothing is
// visible in the catalog until the caller commits the plan.
import { pipeline } from 'node:stream/promises'
import type { Logger } from 'pino'
import type { ImportLimits } from '../config/schema.js'
import { InvalidInput, isBlobStoreUnavailable, type Location } from '../catalog/errors.js'
import type { BlobStore, CommittedBlob } from '../storage/blobs/blob-store.js'
import { parseAssertions, type Assertion } from '../assertions/parse.js'
import { drain, isGzip, isSquashfs, isTar, peek, readAllLimited } from './chunks.js'
import { baseName } from './member-path.js'
import { walkTar, type TarMember, type WalkContext } from './tar-entries.js'
import { parseJson } from './yaml-text.js'
import { walkUpload } from './upload-walk.js'
import { catSquashfsFile } from './squashfs.js'
import { parseSnapYaml, type SnapMeta } from './snap-yaml.js'

export interface SnapFile {
  readonly blob: CommittedBlob
  readonly meta: SnapMeta
  readonly location: Location
}

export interface AssertionFile {
  readonly assertions: readonly Assertion[]
  readonly location: Location
}

export interface JsonFile {
  readonly value: unknown
  readonly location: Location
}

export interface ParsedSnapExport {
  readonly snaps: readonly SnapFile[]
  /** In the order met, which decides "last wins" for channel maps. */
  readonly assertionFiles: readonly AssertionFile[]
  readonly json: readonly JsonFile[]
  readonly ignored: readonly string[]
}

export interface SnapReadOptions {
  readonly file: string
  readonly blobs: BlobStore
  readonly limits: ImportLimits
  readonly log: Logger
  /** Every blob this import created (not ones that already existed), for rollback. */
  readonly created: string[]
}

// Reading meta/snap.yaml touches a few blocks of the image; a minute is generous even for big snaps.
const UNSQUASHFS_TIMEOUT_MS = 60_000

const isAssertionText = (b: Buffer): boolean => /^\n*type: /.test(b.subarray(0, 64).toString('latin1'))
const isJsonText = (b: Buffer): boolean => /^\s*[{[]/.test(b.subarray(0, 64).toString('latin1'))

export async function readSnapExport(input: AsyncIterable<Buffer>, opts: SnapReadOptions): Promise<ParsedSnapExport> {
  const snaps: SnapFile[] = []
  const assertionFiles: AssertionFile[] = []
  const json: JsonFile[] = []
  const ignored: string[] = []

  async function storeBlob(m: TarMember, stream: AsyncIterable<Buffer>): Promise<CommittedBlob> {
    const writer = await opts.blobs.create()
    try {
      await pipeline(stream, writer)
      const blob = await writer.commit()
      if (blob.created) opts.created.push(blob.sha256)
      return blob
    } catch (err) {
      // The object store not answering is not the export's fault: passed through for a 503.
      if (err instanceof InvalidInput || isBlobStoreUnavailable(err)) throw err
      throw new InvalidInput(m.location, `cannot be read: ${(err as Error).message}`)
    } finally {
      await writer.cancel()
    }
  }

  async function visit(m: TarMember, ctx: WalkContext): Promise<void> {
    const name = baseName(m.path)
    const { head, stream } = await peek(m.stream, 512)
    const small = () =>
      readAllLimited(
        stream,
        opts.limits.maxMetadataBytes,
        () => new InvalidInput(m.location, `larger than ${opts.limits.maxMetadataBytes} bytes (limit limits.max-metadata-bytes)`),
      )

    if (isGzip(head) || isTar(head)) {
      await walkTar(stream, m.nested, (inner) => visit(inner, m.nested))
      return
    }
    if (isSquashfs(head)) {
      const blob = await storeBlob(m, stream)
      const yamlAt: Location = { ...m.location, member: [...(m.location.member ?? []), 'meta/snap.yaml'] }
      // unsquashfs reads only local files: the stored file itself, or a copy for a remote driver.
      const local = await opts.blobs.localFile(blob.sha256)
      let raw: Buffer
      try {
        raw = await catSquashfsFile(local.path, 'meta/snap.yaml', m.location, {
          maxBytes: opts.limits.maxMetadataBytes,
          timeoutMs: UNSQUASHFS_TIMEOUT_MS,
        })
      } finally {
        await local.release()
      }
      let text: string
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(raw)
      } catch {
        throw new InvalidInput(yamlAt, 'is not UTF-8 text')
      }
      snaps.push({ blob, meta: parseSnapYaml(text, yamlAt), location: m.location })
      return
    }
    if (isAssertionText(head)) {
      assertionFiles.push({ assertions: parseAssertions(await small(), m.location), location: m.location })
      return
    }
    // Named like a snap or an assertion file but not one: refuse rather than silently skip the
    // very thing the operator meant to import.
    if (name.endsWith('.snap')) throw new InvalidInput(m.location, 'not a snap: no squashfs magic ("hsqs") at the start of the file')
    if (name.endsWith('.assert')) throw new InvalidInput(m.location, 'not an assertion stream: it does not start with "type: "')
    if (isJsonText(head)) {
      json.push({ value: parseJson((await small()).toString('utf8'), m.location), location: m.location })
      return
    }
    opts.log.info({ file: opts.file, member: [...ctx.chain, m.path] }, 'ignoring unknown export member')
    ignored.push([...ctx.chain, m.path].join(': '))
    // Awaited, not resume()d: an unread stream's later error would otherwise crash the process.
    await drain(stream)
  }

  await walkUpload(input, opts.file, opts.limits, (m, root) => visit(m, root))
  if (snaps.length === 0) throw new InvalidInput({ file: opts.file }, 'no snap (squashfs image) found in the upload')
  return { snaps, assertionFiles, json, ignored }
}
