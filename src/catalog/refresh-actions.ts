// POST /v2/charms/refresh as domain logic: each action resolved against the index, independent of
// the wire format (charmhub/to-wire.ts renders the results).
import type { Base } from './base.js'
import type { CatalogIndex, IndexedPackage, IndexedResourceRevision } from './index.js'
import { selectByChannel, selectByRevision, type Selection, type SuggestedRelease } from './select.js'

export interface RefreshContext {
  readonly instanceKey: string
  readonly id: string
  readonly revision: number
  readonly base: Base
  readonly trackingChannel?: string | undefined
}

export interface RefreshAction {
  readonly action: 'install' | 'download' | 'refresh'
  readonly instanceKey: string
  readonly id?: string | undefined
  readonly name?: string | undefined
  readonly channel?: string | undefined
  readonly revision?: number | undefined
  readonly base?: Base | null | undefined
  readonly resourceRevisions?: ReadonlyArray<{ name: string; revision: number }> | undefined
}

export type ActionOutcome =
  | { readonly kind: 'found'; readonly action: RefreshAction; readonly pkg: IndexedPackage; readonly selection: Extract<Selection, { kind: 'ok' }>;
      readonly resources: readonly IndexedResourceRevision[]; readonly architecture?: string | undefined }
  | { readonly kind: 'error'; readonly action: RefreshAction; readonly pkg?: IndexedPackage | undefined; readonly code: string; readonly message: string;
      readonly extra?: { releases?: readonly SuggestedRelease[]; 'default-bases'?: readonly Base[] } }

function resourcesFor(pkg: IndexedPackage, revision: number, overrides: RefreshAction['resourceRevisions']): IndexedResourceRevision[] | { missing: string } {
  const rev = pkg.revisions.get(revision)
  const out = new Map<string, IndexedResourceRevision>()
  for (const [name, res] of pkg.resources) {
    const attached = rev?.resources.find((r) => r.name === name)
    const chosen = attached ? res.revisions.get(attached.revision) : [...res.revisions.values()].sort((a, b) => b.revision - a.revision)[0]
    if (chosen) out.set(name, chosen)
  }
  for (const o of overrides ?? []) {
    const r = pkg.resources.get(o.name)?.revisions.get(o.revision)
    if (!r) return { missing: `${o.name} revision ${o.revision}` }
    out.set(o.name, r)
  }
  return [...out.values()]
}

const contextOf = (action: RefreshAction, contexts: readonly RefreshContext[]): RefreshContext | undefined =>
  contexts.find((c) => c.instanceKey === action.instanceKey)

/** The charm or bundle an action is about, if the index has it: what resolving the action looks up first. */
export function packageOf(index: CatalogIndex, action: RefreshAction, contexts: readonly RefreshContext[]): IndexedPackage | undefined {
  let pkg: IndexedPackage | undefined
  if (action.action === 'refresh') {
    const ctx = contextOf(action, contexts)
    pkg = ctx ? index.byPackageId(action.id ?? ctx.id) : undefined
  } else {
    pkg = action.id ? index.byPackageId(action.id) : action.name ? index.charmhubByName(action.name) : undefined
  }
  return pkg?.type === 'snap' ? undefined : pkg
}

const baseKey = (b: Base | null | undefined): string => (b ? `${b.name}/${b.channel}/${b.architecture}` : '-')

/**
 * Everything besides the package object that an action's outcome depends on, as a string: two
 * actions with the same shape resolve alike against the same package object (instance-key aside).
 * Kept beside resolveAction, which must read nothing that this leaves out.
 */
export function actionShape(action: RefreshAction, contexts: readonly RefreshContext[]): string {
  const rr = action.resourceRevisions?.map((r) => `${r.name}:${r.revision}`).join(',') ?? ''
  if (action.action === 'refresh') {
    const ctx = contextOf(action, contexts)
    if (!ctx) return 'refresh\0-'
    return `refresh\0${action.id ?? ctx.id}\0${ctx.trackingChannel ?? '-'}\0${baseKey(ctx.base)}\0${rr}`
  }
  return `${action.action}\0${action.id ?? '-'}\0${action.name ?? '-'}\0${action.channel ?? '-'}\0${action.revision ?? '-'}\0${baseKey(action.base)}\0${rr}`
}

function resolveAction(index: CatalogIndex, action: RefreshAction, contexts: readonly RefreshContext[]): ActionOutcome {
  const pkg = packageOf(index, action, contexts)
  let selection: Selection
  let architecture: string | undefined
  if (action.action === 'refresh') {
    const ctx = contextOf(action, contexts)
    if (!ctx) return { kind: 'error', action, code: 'invalid-request', message: `no context entry with instance-key ${JSON.stringify(action.instanceKey)}` }
    if (!pkg) return { kind: 'error', action, code: 'id-not-found', message: `No charm or bundle with id '${action.id ?? ctx.id}'.` }
    architecture = ctx.base.architecture
    selection = selectByChannel(pkg, ctx.trackingChannel, ctx.base)
  } else {
    if (!pkg) {
      return action.id
        ? { kind: 'error', action, code: 'id-not-found', message: `No charm or bundle with id '${action.id}'.` }
        : { kind: 'error', action, code: 'name-not-found', message: `No charm or bundle with name '${action.name ?? ''}'.` }
    }
    if (action.revision !== undefined && action.revision !== null) {
      selection = selectByRevision(pkg, action.revision)
      architecture = action.base?.architecture
    } else {
      const base: Base = action.base ?? { name: 'NA', channel: 'NA', architecture: 'amd64' }
      architecture = base.architecture
      selection = selectByChannel(pkg, action.channel, base)
    }
  }
  switch (selection.kind) {
    case 'ok': {
      const resources = resourcesFor(pkg, selection.revision.revision, action.resourceRevisions)
      if ('missing' in resources) return { kind: 'error', action, pkg, code: 'resource-not-found', message: `No resource ${resources.missing} for ${pkg.name}.` }
      return { kind: 'found', action, pkg, selection, resources, architecture }
    }
    case 'revision-not-found':
      return { kind: 'error', action, pkg, code: 'revision-not-found', message: selection.message, extra: { releases: selection.releases } }
    case 'invalid-charm-base':
      return { kind: 'error', action, pkg, code: 'invalid-charm-base', message: selection.message, extra: { 'default-bases': selection.defaultBases } }
    case 'invalid-channel':
      return { kind: 'error', action, pkg, code: 'invalid-channel', message: selection.message }
  }
}

/** One outcome per action, in request order; Juju matches them up by instance-key. */
export function resolveRefresh(index: CatalogIndex, contexts: readonly RefreshContext[], actions: readonly RefreshAction[]): ActionOutcome[] {
  return actions.map((a) => resolveAction(index, a, contexts))
}
