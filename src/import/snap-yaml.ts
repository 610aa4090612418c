// meta/snap.yaml as snapd reads it (snap/info_snap_yaml.go; docs/protocol/snap-store.md §10). Parsed
// with YAML's failsafe schema, so every scalar stays the text it was written as: snapd decodes into Go
// strings, so `version: 1.10` is "1.10", never the number 1.1.
import { InvalidInput, type Location } from '../catalog/errors.js'
import { parseYamlMapping } from './yaml-text.js'

export interface Epoch {
  readonly read: readonly number[]
  readonly write: readonly number[]
}

export interface SnapMeta {
  readonly name: string
  readonly version: string
  readonly summary: string
  readonly description: string
  readonly title: string
  /** app, gadget, os, kernel, base, snapd: snapd's snap.Type values. */
  readonly type: string
  readonly architectures: readonly string[]
  readonly base: string | undefined
  readonly confinement: string
  readonly grade: string
  readonly epoch: Epoch
  readonly text: string
}

const TYPES = ['app', 'gadget', 'os', 'kernel', 'base', 'snapd']
const CONFINEMENTS = ['strict', 'devmode', 'classic']
const GRADES = ['stable', 'devel']
const MAX_EPOCH = 2 ** 32 - 1

/** snapd's naming.ValidateSnap. */
export function isSnapName(name: string): boolean {
  return (
    name.length >= 2 &&
    name.length <= 40 &&
    /^[a-z0-9-]*[a-z][a-z0-9-]*$/.test(name) &&
    !name.startsWith('-') &&
    !name.endsWith('-') &&
    !name.includes('--')
  )
}

export function parseSnapYaml(text: string, where: Location): SnapMeta {
  const doc = parseYamlMapping(text, where, { failsafe: true })
  const at = (field: string) => ({ ...where, field })
  const str = (field: string, dflt: string): string => {
    const v = doc[field]
    if (v === undefined || v === null) return dflt
    if (typeof v !== 'string') throw new InvalidInput(at(field), 'expected a string')
    return v
  }
  const oneOf = (field: string, allowed: readonly string[], dflt: string): string => {
    const v = str(field, dflt)
    if (!allowed.includes(v)) throw new InvalidInput(at(field), `${JSON.stringify(v)} is not one of ${allowed.join(', ')}`)
    return v
  }
  const name = str('name', '')
  if (name === '') throw new InvalidInput(at('name'), 'missing: every snap.yaml names its snap')
  if (!isSnapName(name)) throw new InvalidInput(at('name'), `${JSON.stringify(name)} is not a valid snap name`)
  // snapd forces the type of the snap named "snapd" (infoSkeletonFromSnapYaml).
  const type = name === 'snapd' ? 'snapd' : oneOf('type', TYPES, 'app')
  const base = doc.base === undefined || doc.base === null ? undefined : str('base', '')
  return {
    name,
    type,
    base,
    text,
    version: str('version', ''),
    summary: str('summary', ''),
    description: str('description', ''),
    title: str('title', ''),
    // snapd's default when snap.yaml lists none: architecture-independent ("all"), served to every arch.
    architectures: architecturesOf(doc.architectures, at('architectures')),
    confinement: oneOf('confinement', CONFINEMENTS, 'strict'),
    grade: oneOf('grade', GRADES, 'stable'),
    epoch: parseEpoch(doc.epoch, at('epoch')),
  }
}

function architecturesOf(v: unknown, where: Location): string[] {
  if (v === undefined || v === null) return ['all']
  const list = typeof v === 'string' ? [v] : v
  if (!Array.isArray(list) || list.length === 0 || !list.every((a) => typeof a === 'string' && /^[a-z0-9][a-z0-9_-]*$/.test(a))) {
    throw new InvalidInput(where, 'expected a list of architecture names')
  }
  const archs = [...new Set(list as string[])]
  if (archs.includes('all') && archs.length > 1) throw new InvalidInput(where, '"all" cannot be combined with other architectures')
  return archs
}

function epochNumber(s: unknown, where: Location): number {
  if (typeof s !== 'string' || !/^(0|[1-9][0-9]*)$/.test(s) || Number(s) > MAX_EPOCH) {
    throw new InvalidInput(where, `${JSON.stringify(s)} is not an epoch number`)
  }
  return Number(s)
}

function epochList(v: unknown, where: Location): number[] | undefined {
  if (v === undefined || v === null) return undefined
  if (!Array.isArray(v) || v.length === 0) throw new InvalidInput(where, 'expected a non-empty list of epoch numbers')
  const list = v.map((x) => epochNumber(x, where))
  if (list.some((x, i) => i > 0 && x <= list[i - 1]!)) throw new InvalidInput(where, 'epoch numbers must be in increasing order')
  return list
}

/** snapd's Epoch: "N", "N*" (reads N-1 and N), or {read, write}; absent is 0 (snap/epoch.go). */
export function parseEpoch(v: unknown, where: Location): Epoch {
  if (v === undefined || v === null) return { read: [0], write: [0] }
  if (typeof v === 'string') {
    const star = v.endsWith('*')
    const n = epochNumber(star ? v.slice(0, -1) : v, where)
    if (star && n === 0) throw new InvalidInput(where, '0* is not a valid epoch')
    return { read: star ? [n - 1, n] : [n], write: [n] }
  }
  if (typeof v !== 'object' || Array.isArray(v)) throw new InvalidInput(where, 'expected an epoch number or a {read, write} mapping')
  const m = v as Record<string, unknown>
  let read = epochList(m.read, { ...where, field: `${where.field}.read` })
  let write = epochList(m.write, { ...where, field: `${where.field}.write` })
  read ??= write ?? [0]
  write ??= read
  if (!read.some((r) => write.includes(r))) throw new InvalidInput(where, 'epoch read and write lists do not intersect')
  return { read, write }
}
