// Runs one export import end to end: read and write blobs as the upload streams, plan, commit in
// one transaction, and on any failure remove the blobs this import created that nothing references.
// Blobs are held under the lock protocol (storage/blobs/blob-locks.ts) from before they become
// visible until the transaction has ended, so no deleter on any replica removes one in between.
// Imports still run one at a time per process: each holds a database connection for its locks.
import type { Logger } from 'pino'
import type { ImportLimits } from '../config/schema.js'
import { importRevisions } from '../catalog/import-revisions.js'
import type { ImportOptions, RevisionOutcome } from '../catalog/model.js'
import type { CatalogStore } from '../catalog/ports.js'
import type { BlobStore } from '../storage/blobs/blob-store.js'
import type { BlobLocks } from '../storage/blobs/blob-locks.js'
import type { BlobRefs } from '../storage/db/blob-refs.repo.js'
import type { RevisionInput } from '../catalog/model.js'
import type { CommitHooks } from '../catalog/import-revisions.js'
import { reclaim } from '../gc/reclaim.js'
import { holdingBlobStore } from './held-blobs.js'
import { crashPoint } from '../crash-points.js'
import { readCharmExport } from './charm-export.js'
import { planCharmExport } from './charm-plan.js'
import { planBundleExport } from './bundle-plan.js'
import { CatalogError, InvalidInput, Unavailable } from '../catalog/errors.js'
import { parseChannel } from '../catalog/channel.js'
import { canonicalTrustedRoots, type TrustedRoots } from '../assertions/roots.js'
import { readSnapExport } from './snap-export.js'
import { planSnapExport } from './snap-plan.js'
import { importAssertionFile, type AssertionOutcome } from './assertion-import.js'

export interface ImportReport {
  readonly file: string
  readonly revisions: readonly RevisionOutcome[]
  readonly ignored: readonly string[]
  /** push-assertions only. */
  readonly assertions?: readonly AssertionOutcome[]
}

export interface PushOptions extends ImportOptions {
  /** Aborted when the upload is cut short (size limit, client gone): nothing is committed then. */
  readonly signal?: AbortSignal | undefined
}

export interface SnapImportOptions extends PushOptions {
  /** Channel for snaps the export's JSON says nothing about (push-snap --channel); default latest/stable. */
  readonly channel?: string | undefined
}

export interface ImportService {
  importCharmExport(file: string, input: AsyncIterable<Buffer>, opts: PushOptions): Promise<ImportReport>
  importBundleExport(file: string, input: AsyncIterable<Buffer>, opts: PushOptions): Promise<ImportReport>
  /** A snap export tarball, or a `snap download` pair packed as a tar (.snap + .assert). */
  importSnapExport(file: string, input: AsyncIterable<Buffer>, opts: SnapImportOptions): Promise<ImportReport>
  /** Stand-alone store, account and account-key assertions (push-assertions). */
  importAssertions(file: string, input: AsyncIterable<Buffer>, opts: PushOptions): Promise<ImportReport>
}

export interface ImportServiceDeps {
  readonly blobs: BlobStore
  readonly catalog: CatalogStore
  readonly locks: BlobLocks
  readonly refs: BlobRefs
  readonly limits: ImportLimits
  readonly log: Logger
  /** What snap assertions must verify up to; default Canonical's root only. */
  readonly trustedRoots?: TrustedRoots
  /** Called after a commit with the packages it touched (refreshes the read model). */
  readonly onCommitted?: (packageIds: string[]) => Promise<void>
  /** Told how each import ended and how long it took (the import metrics). */
  readonly onFinished?: (kind: ImportKind, outcome: 'ok' | 'refused' | 'failed', seconds: number) => void
}

export type ImportKind = 'charm' | 'bundle' | 'snap' | 'assertions'

/** The input's fault (malformed, over a limit, breaks a rule, conflicts), as the admin API answers 4xx. */
function refused(err: unknown): boolean {
  if (err instanceof CatalogError) return !(err instanceof Unavailable)
  const status = (err as { statusCode?: unknown } | null)?.statusCode
  return typeof status === 'number' && status >= 400 && status < 500
}

export function createImportService(deps: ImportServiceDeps): ImportService {
  const roots = deps.trustedRoots ?? canonicalTrustedRoots()
  let queue: Promise<unknown> = Promise.resolve()
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn)
    queue = run.catch(() => undefined)
    return run
  }

  /** Times `fn` from when its turn comes (so, with the upload it reads) and reports how it ended. */
  async function measured<T>(kind: ImportKind, fn: () => Promise<T>): Promise<T> {
    const start = performance.now()
    const done = (outcome: 'ok' | 'refused' | 'failed'): void => deps.onFinished?.(kind, outcome, (performance.now() - start) / 1000)
    try {
      const v = await fn()
      done('ok')
      return v
    } catch (err) {
      done(refused(err) ? 'refused' : 'failed')
      throw err
    }
  }

  interface Held {
    readonly blobs: BlobStore
    readonly created: string[]
    /** Commit one plan: holds its blobs inside the transaction, and commits nothing once aborted. */
    commit(plan: readonly RevisionInput[], opts: PushOptions): Promise<RevisionOutcome[]>
  }

  async function withRollback<T>(fn: (h: Held) => Promise<T>): Promise<T> {
    const session = await deps.locks.session()
    const held = new Set<string>()
    const created: string[] = []
    const blobs = holdingBlobStore(deps.blobs, session, held)
    const hooks = (signal: AbortSignal | undefined): CommitHooks => ({
      async before(w) {
        signal?.throwIfAborted()
        // Were the session's connection lost, its locks would be gone: hold them again for the
        // transaction, then check that each blob is still there before anything references it.
        await w.holdBlobs([...held])
        for (const d of held) {
          if (!(await deps.blobs.stat(d))) throw new Unavailable(`blob ${d} went missing during the import; push again`)
        }
        crashPoint('commit-begin')
      },
      async after() {
        signal?.throwIfAborted()
        crashPoint('commit-end')
      },
    })
    const h: Held = {
      blobs,
      created,
      async commit(plan, opts) {
        opts.signal?.throwIfAborted()
        crashPoint('before-commit')
        const out = await importRevisions(deps.catalog, plan, opts, hooks(opts.signal))
        crashPoint('after-commit')
        return out
      },
    }
    let failed = false
    try {
      return await fn(h)
    } catch (err) {
      failed = true
      throw err
    } finally {
      for (const d of held) await session.unlock(d)
      if (failed) {
        for (const d of created) {
          const out = await reclaim(d, { session, refs: deps.refs, blobs: deps.blobs }).catch(() => 'failed' as const)
          if (out === 'held' || out === 'failed')
            deps.log.info({ module: 'import', blob: d, outcome: out }, 'blob of a refused import left for gc')
        }
      }
      await session.close()
    }
  }

  return {
    importCharmExport(file, input, opts) {
      return serial(() =>
        measured('charm', () =>
          withRollback(async (h) => {
            const log = deps.log.child({ module: 'import', file })
            const parsed = await readCharmExport(input, { file, blobs: h.blobs, limits: deps.limits, log, created: h.created })
            const plan = await planCharmExport(parsed, h.blobs, deps.limits.maxMetadataBytes, roots)
            const revisions = await h.commit(plan, opts)
            await deps
              .onCommitted?.([...new Set(revisions.map((r) => r.id))])
              .catch((err: unknown) => log.error({ err }, 'refreshing the read model failed'))
            log.info({ revisions: revisions.map((r) => `${r.name}/${r.revision}:${r.status}`) }, 'charm export imported')
            return { file, revisions, ignored: parsed.ignored }
          }),
        ),
      )
    },
    importBundleExport(file, input, opts) {
      return serial(() =>
        measured('bundle', () =>
          withRollback(async (h) => {
            const log = deps.log.child({ module: 'import', file })
            const parsed = await readCharmExport(input, {
              file,
              blobs: h.blobs,
              limits: deps.limits,
              log,
              created: h.created,
              allowNoCharms: true,
            })
            const plan = await planBundleExport(parsed, file, h.blobs, deps.limits.maxMetadataBytes, h.created, roots)
            const revisions = await h.commit(plan, opts)
            await deps
              .onCommitted?.([...new Set(revisions.map((r) => r.id))])
              .catch((err: unknown) => log.error({ err }, 'refreshing the read model failed'))
            log.info({ revisions: revisions.map((r) => `${r.type}:${r.name}/${r.revision}:${r.status}`) }, 'bundle export imported')
            return { file, revisions, ignored: parsed.ignored }
          }),
        ),
      )
    },
    importAssertions(file, input, opts) {
      return serial(() =>
        measured('assertions', async () => {
          opts.signal?.throwIfAborted()
          const assertions = await importAssertionFile(file, input, {
            roots,
            catalog: deps.catalog,
            maxBytes: deps.limits.maxMetadataBytes,
          })
          deps.log.info(
            { module: 'import', file, assertions: assertions.map((a) => `${a.type}/${a.key}:${a.status}`) },
            'assertions imported',
          )
          return { file, revisions: [], ignored: [], assertions }
        }),
      )
    },
    importSnapExport(file, input, opts) {
      return serial(() =>
        measured('snap', () =>
          withRollback(async (h) => {
            const log = deps.log.child({ module: 'import', file })
            const channel = parseChannel(opts.channel ?? 'latest/stable')
            if (!channel)
              throw new InvalidInput({ file, field: 'channel' }, `${JSON.stringify(opts.channel)} is not a channel ([track/]risk[/branch])`)
            const parsed = await readSnapExport(input, { file, blobs: h.blobs, limits: deps.limits, log, created: h.created })
            const plan = planSnapExport(parsed, { roots, channel })
            const revisions = await h.commit(plan, opts)
            await deps
              .onCommitted?.([...new Set(revisions.map((r) => r.id))])
              .catch((err: unknown) => log.error({ err }, 'refreshing the read model failed'))
            log.info({ revisions: revisions.map((r) => `${r.name}/${r.revision}:${r.status}`) }, 'snap export imported')
            return { file, revisions, ignored: parsed.ignored }
          }),
        ),
      )
    },
  }
}
