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
  | {
      readonly kind: 'found'
      readonly action: RefreshAction
      readonly pkg: IndexedPackage
      readonly selection: Extract<Selection, { kind: 'ok' }>
      readonly resources: readonly IndexedResourceRevision[]
      readonly architecture?: string | undefined
    }
  | {
      readonly kind: 'error'
      readonly action: RefreshAction
      readonly pkg?: IndexedPackage | undefined
      readonly code: string
      readonly message: string
      readonly extra?: { releases?: readonly SuggestedRelease[]; 'default-bases'?: readonly Base[] }
    }

function resourcesFor(
  pkg: IndexedPackage,
  revision: number,
  overrides: RefreshAction['resourceRevisions'],
): IndexedResourceRevision[] | { missing: string } {
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

/**
 * Everything an action's outcome depends on besides the index, taken from the request once: the
 * selection below reads nothing else, and the refresh route keys its answer cache on it
 * (refreshShapeKey), so what selection reads and what the cache tells apart are one definition.
 */
export interface RefreshShape {
  readonly kind: RefreshAction['action']
  /** The charm or bundle asked for by id (refresh: the action's or its context's) ... */
  readonly id: string | undefined
  /** ... or else by name. */
  readonly name: string | undefined
  /** A refresh's tracking channel. */
  readonly channel: string | undefined
  readonly revision: number | undefined
  /** A refresh's context's base. */
  readonly base: Base | null | undefined
  readonly resourceRevisions: RefreshAction['resourceRevisions']
}

/** The action's shape; undefined for a refresh without a context entry. */
export function refreshShape(action: RefreshAction, contexts: readonly RefreshContext[]): RefreshShape | undefined {
  const rr = action.resourceRevisions
  if (action.action === 'refresh') {
    const ctx = contexts.find((c) => c.instanceKey === action.instanceKey)
    if (!ctx) return undefined
    return {
      kind: 'refresh',
      id: action.id ?? ctx.id,
      name: undefined,
      channel: ctx.trackingChannel,
      revision: undefined,
      base: ctx.base,
      resourceRevisions: rr,
    }
  }
  return {
    kind: action.action,
    id: action.id,
    name: action.id === undefined ? action.name : undefined,
    channel: action.channel,
    revision: action.revision ?? undefined,
    base: action.base,
    resourceRevisions: rr,
  }
}

const baseKey = (b: Base | null | undefined): string => (b ? `${b.name}/${b.channel}/${b.architecture}` : '-')

/** A shape as the two strings of a cache key: the package it names, and every other field. */
export function refreshShapeKey(s: RefreshShape): { readonly handle: string; readonly rest: string } {
  const rr = s.resourceRevisions?.map((r) => `${r.name}:${r.revision}`).join(',') ?? ''
  return {
    handle: s.id ?? s.name ?? '',
    rest: `${s.id !== undefined ? 'id' : 'name'}\0${s.kind}\0${s.channel ?? '-'}\0${s.revision ?? '-'}\0${baseKey(s.base)}\0${rr}`,
  }
}

/** What resolving a shape gives: an outcome less the action (resolveRefresh pairs them up again). */
export type ShapeOutcome = ActionOutcome extends infer O ? (O extends ActionOutcome ? Omit<O, 'action'> : never) : never

function packageOf(index: CatalogIndex, s: RefreshShape): IndexedPackage | undefined {
  const pkg = s.id !== undefined ? index.byPackageId(s.id) : s.name !== undefined ? index.charmhubByName(s.name) : undefined
  return pkg?.type === 'snap' ? undefined : pkg
}

/** The outcome of an action of this shape: pure over the index and the shape. */
export function resolveRefreshShape(index: CatalogIndex, s: RefreshShape): ShapeOutcome {
  const pkg = packageOf(index, s)
  if (!pkg) {
    return s.id !== undefined
      ? { kind: 'error', code: 'id-not-found', message: `No charm or bundle with id '${s.id}'.` }
      : { kind: 'error', code: 'name-not-found', message: `No charm or bundle with name '${s.name ?? ''}'.` }
  }
  let selection: Selection
  let architecture: string | undefined
  if (s.revision !== undefined) {
    selection = selectByRevision(pkg, s.revision)
    architecture = s.base?.architecture
  } else {
    const base: Base = s.base ?? { name: 'NA', channel: 'NA', architecture: 'amd64' }
    architecture = base.architecture
    selection = selectByChannel(pkg, s.channel, base)
  }
  switch (selection.kind) {
    case 'ok': {
      const resources = resourcesFor(pkg, selection.revision.revision, s.resourceRevisions)
      if ('missing' in resources)
        return { kind: 'error', pkg, code: 'resource-not-found', message: `No resource ${resources.missing} for ${pkg.name}.` }
      return { kind: 'found', pkg, selection, resources, architecture }
    }
    case 'revision-not-found':
      return { kind: 'error', pkg, code: 'revision-not-found', message: selection.message, extra: { releases: selection.releases } }
    case 'invalid-charm-base':
      return {
        kind: 'error',
        pkg,
        code: 'invalid-charm-base',
        message: selection.message,
        extra: { 'default-bases': selection.defaultBases },
      }
    case 'invalid-channel':
      return { kind: 'error', pkg, code: 'invalid-channel', message: selection.message }
  }
}

/** The outcome of one action; `shape` is refreshShape's for it. */
export function resolveAction(index: CatalogIndex, action: RefreshAction, shape: RefreshShape | undefined): ActionOutcome {
  if (!shape)
    return {
      kind: 'error',
      action,
      code: 'invalid-request',
      message: `no context entry with instance-key ${JSON.stringify(action.instanceKey)}`,
    }
  return { ...resolveRefreshShape(index, shape), action } as ActionOutcome
}

/** One outcome per action, in request order; Juju matches them up by instance-key. */
export function resolveRefresh(
  index: CatalogIndex,
  contexts: readonly RefreshContext[],
  actions: readonly RefreshAction[],
): ActionOutcome[] {
  return actions.map((a) => resolveAction(index, a, refreshShape(a, contexts)))
}
