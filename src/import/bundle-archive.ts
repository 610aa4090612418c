// A bundle archive as Juju downloads it: a zip with bundle.yaml and README.md at the root (charm v12
// bundlearchive.go). Built deterministically when an export carries only bundle.yaml, so the same
// bundle.yaml always gives the same bytes, and a re-push is recognised as unchanged.
import { pipeline } from 'node:stream/promises'
import yazl from 'yazl'
import type { BlobStore, CommittedBlob } from '../storage/blobs/blob-store.js'

const EPOCH = new Date('2000-01-01T00:00:00Z')

export function defaultReadme(name: string): string {
  return `# ${name}\n\nThis bundle was imported into Airlock from a store-admin export.\n`
}

export async function writeBundleArchive(blobs: BlobStore, bundleYaml: string, readme: string, created: string[]): Promise<CommittedBlob> {
  const zip = new yazl.ZipFile()
  zip.addBuffer(Buffer.from(bundleYaml), 'bundle.yaml', { mtime: EPOCH, mode: 0o100644 })
  zip.addBuffer(Buffer.from(readme), 'README.md', { mtime: EPOCH, mode: 0o100644 })
  zip.end()
  const writer = await blobs.create()
  try {
    await pipeline(zip.outputStream, writer)
    const blob = await writer.commit()
    if (blob.created) created.push(blob.sha256)
    return blob
  } finally {
    await writer.cancel()
  }
}
