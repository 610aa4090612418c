// The import use case shared by charms, bundles and snaps: all revisions of one export go in
// together, in one transaction, or not at all. Identical re-pushes write nothing.
import { ConcurrentChange, Conflict, InvalidInput } from './errors.js'
import { formatChannel } from './channel.js'
import { formatBase, type Base } from './base.js'
import { newStoreId } from './ids.js'
import type { ImportOptions, RevisionInput, RevisionOutcome } from './model.js'
import type { CatalogStore, CatalogWriter, Namespace, ReleaseSlot } from './ports.js'

export const namespaceOf = (type: RevisionInput['type']): Namespace => (type === 'snap' ? 'snapstore' : 'charmhub')

async function resolvePackage(w: CatalogWriter, input: RevisionInput): Promise<{ id: string; isNew: boolean }> {
  const existing = await w.findPackage(namespaceOf(input.type), input.name)
  if (existing) {
    if (existing.type !== input.type)
      throw new Conflict(input.location, `${input.name} is already in the store as a ${existing.type}, not a ${input.type}`)
    if (input.storeId && input.storeId !== existing.id) {
      throw new Conflict(
        input.location,
        `${input.name} is already in the store with id ${existing.id}, but the export gives id ${input.storeId}`,
      )
    }
    return { id: existing.id, isNew: false }
  }
  let id = input.storeId ?? newStoreId()
  if (input.storeId && (await w.packageIdTaken(input.storeId))) {
    throw new Conflict(input.location, `the export's id ${input.storeId} for ${input.name} already belongs to another package`)
  }
  while (!input.storeId && (await w.packageIdTaken(id))) id = newStoreId()
  await w.insertPackage({
    id,
    namespace: namespaceOf(input.type),
    type: input.type,
    name: input.name,
    publisher: input.publisher,
    summary: input.summary,
    description: input.description,
    title: input.title,
    details: input.details,
  })
  return { id, isNew: true }
}

/** Bundles: every charm bundle.yaml names must be in the store (this import's charms come first). */
async function resolveComponents(w: CatalogWriter, input: RevisionInput): Promise<Record<string, unknown>> {
  if (!input.components) return input.extra
  const contains: Array<{ name: string; id: string }> = []
  for (const c of input.components) {
    const pkg = await w.findPackage('charmhub', c.charm)
    if (!pkg || pkg.type !== 'charm') {
      throw new InvalidInput(
        { ...input.location, field: `applications.${c.app}.charm` },
        `bundle ${input.name}: application ${JSON.stringify(c.app)} needs charm ${JSON.stringify(c.charm)}, which is neither in this export nor in the store`,
      )
    }
    if (!contains.some((x) => x.name === c.charm)) contains.push({ name: c.charm, id: pkg.id })
  }
  return { ...input.extra, 'contains-charms': contains }
}

async function importOne(w: CatalogWriter, given: RevisionInput, opts: ImportOptions): Promise<RevisionOutcome> {
  const pkg = await resolvePackage(w, given)
  let input: RevisionInput = { ...given, extra: await resolveComponents(w, given) }
  if (input.revision === 0) {
    const same = pkg.isNew ? undefined : await w.findRevisionByBlob(pkg.id, input.blob.sha256)
    input = { ...input, revision: same ?? (await w.maxRevision(pkg.id)) + 1 }
    if (!input.version) input = { ...input, version: String(input.revision) }
  }
  const existingBlob = await w.findRevisionBlob(pkg.id, input.revision)
  if (existingBlob !== undefined && existingBlob !== input.blob.sha256) {
    throw new Conflict(
      input.location,
      `${input.name} revision ${input.revision} is already in the store with different content (sha256 ${existingBlob}; this export has ${input.blob.sha256})`,
    )
  }
  let changed = pkg.isNew
  const isNewRevision = existingBlob === undefined
  for (const r of input.expectedResources ?? []) {
    if (pkg.isNew || (await w.findResourceRevisionBlob(pkg.id, r.name, r.revision)) === undefined) {
      throw new InvalidInput(
        r.location,
        `names resource ${r.name} revision ${r.revision} of ${input.name}, which is neither in this export nor in the store`,
      )
    }
  }

  // Resources: a (name, revision) pair is immutable once stored.
  for (const r of input.resourceRevisions) {
    const blob = await w.findResourceRevisionBlob(pkg.id, r.name, r.revision)
    if (blob !== undefined && blob !== r.blob.sha256) {
      throw new Conflict(
        r.location,
        `resource ${r.name} revision ${r.revision} of ${input.name} is already in the store with different content`,
      )
    }
  }
  if (isNewRevision) {
    if (!pkg.isNew) {
      await w.updatePackage(pkg.id, {
        publisher: input.publisher,
        summary: input.summary,
        description: input.description,
        title: input.title,
        details: input.details,
      })
    }
    await w.ensureBlob(input.blob)
    await w.insertRevision({
      packageId: pkg.id,
      revision: input.revision,
      version: input.version,
      blobSha256: input.blob.sha256,
      platforms: input.platforms,
      texts: input.texts,
      attributes: input.attributes,
      extra: input.extra,
    })
    for (const d of input.declaredResources) await w.upsertDeclaredResource(pkg.id, d)
    changed = true
  }
  for (const r of input.resourceRevisions) {
    if ((await w.findResourceRevisionBlob(pkg.id, r.name, r.revision)) === undefined) {
      await w.ensureBlob(r.blob)
      await w.insertResourceRevision(pkg.id, {
        name: r.name,
        type: r.type,
        revision: r.revision,
        blobSha256: r.blob.sha256,
        imageName: r.imageName,
      })
      changed = true
    }
    if (isNewRevision) await w.attachResource(pkg.id, input.revision, r.name, r.revision)
  }
  for (const a of input.assertions) {
    if (await w.putAssertion(a)) changed = true
    if (await w.linkAssertion(pkg.id, a.type, a.primaryKey)) changed = true
  }

  const released: string[] = []
  const held: Array<{ channel: string; base: string; revision: number | null }> = []
  for (const ch of input.channels) {
    for (const base of input.platforms) {
      const slot: ReleaseSlot = { track: ch.track, risk: ch.risk, branch: ch.branch, base }
      const current = await w.getRelease(pkg.id, slot)
      if (current === input.revision) continue
      if (current !== undefined && !opts.pushChannelMap) {
        held.push({ channel: formatChannel(ch), base: formatBase(base), revision: current })
        continue
      }
      // A channel the operator closed stays closed until released or pushed with the channel map (docs/decisions/0016).
      if (current === undefined && !opts.pushChannelMap && (await w.slotClosed(pkg.id, slot))) {
        held.push({ channel: formatChannel(ch), base: formatBase(base), revision: null })
        continue
      }
      await w.setRelease(pkg.id, slot, input.revision)
      if (!released.includes(formatChannel(ch))) released.push(formatChannel(ch))
      changed = true
    }
  }
  return {
    type: input.type,
    name: input.name,
    id: pkg.id,
    revision: input.revision,
    status: pkg.isNew || isNewRevision ? 'imported' : changed ? 'updated' : 'unchanged',
    version: input.version,
    bases: input.platforms as Base[],
    released,
    held,
    resources: input.resourceRevisions.map((r) => ({ name: r.name, type: r.type, revision: r.revision })),
  }
}

export interface CommitHooks {
  /** First thing in the transaction (the import holds its blobs and checks they exist). */
  readonly before?: (w: CatalogWriter) => Promise<void>
  /** Last thing before COMMIT (the import checks its upload was not cut short). */
  readonly after?: (w: CatalogWriter) => Promise<void>
}

/** A concurrent import of the same packages is retried this many times before it is a conflict. */
const RACE_RETRIES = 3

export async function importRevisions(
  store: CatalogStore,
  inputs: readonly RevisionInput[],
  opts: ImportOptions,
  hooks: CommitHooks = {},
): Promise<RevisionOutcome[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await store.transaction(async (w) => {
        await hooks.before?.(w)
        const out: RevisionOutcome[] = []
        for (const input of inputs) out.push(await importOne(w, input, opts))
        await hooks.after?.(w)
        return out
      })
    } catch (err) {
      if (!(err instanceof ConcurrentChange) || attempt > RACE_RETRIES) throw err
    }
  }
}
