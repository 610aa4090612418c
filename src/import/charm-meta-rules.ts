// metadata.yaml as Juju's charm library checks it (juju/charm v12 meta.go: the charmSchema
// coercion, then Meta.Check; internal/charm in Juju 4.0 keeps the same rules). A charm these refuse
// is one `juju deploy` would refuse after download, so the import refuses it first. Keys the schema
// does not know are ignored, as Juju's FieldMap ignores them.
import { InvalidInput, type Location } from '../catalog/errors.js'

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v)
const shown = (v: unknown): string => JSON.stringify(v) ?? String(v)
const fail = (loc: Location, field: string, problem: string): never => {
  throw new InvalidInput({ ...loc, field }, problem)
}

const ROLES = ['provides', 'requires', 'peers'] as const

interface Relation {
  readonly name: string
  readonly role: (typeof ROLES)[number]
  readonly interface: string
  readonly scope: string
}

/** charm v12 reservedName: "juju" and "juju-*" belong to Juju, unless the charm itself is a juju-* charm. */
function reserved(charm: string, name: string): boolean {
  return !charm.startsWith('juju-') && (name === 'juju' || name.startsWith('juju-'))
}

function readRelation(role: Relation['role'], name: string, v: unknown, loc: Location): Relation {
  const field = `${role}.${name}`
  // ifaceExpander: a bare string is the interface name.
  if (typeof v === 'string') return { name, role, interface: v, scope: 'global' }
  if (!isObj(v)) return fail(loc, field, 'expected an interface name or a mapping with "interface"')
  if (typeof v.interface !== 'string' || v.interface === '') fail(loc, `${field}.interface`, 'expected the interface name (a string)')
  const scope = v.scope ?? 'global'
  if (scope !== 'global' && scope !== 'container')
    fail(loc, `${field}.scope`, `${shown(scope)} is not a relation scope (global, container)`)
  if (v.limit !== undefined && v.limit !== null && !Number.isInteger(v.limit)) fail(loc, `${field}.limit`, 'expected an integer')
  if (v.optional !== undefined && typeof v.optional !== 'boolean') fail(loc, `${field}.optional`, 'expected true or false')
  return { name, role, interface: v.interface as string, scope: scope as string }
}

function checkRelations(meta: Obj, charm: string, subordinate: boolean, loc: Location): void {
  const seen = new Set<string>()
  const relations: Relation[] = []
  for (const role of ROLES) {
    const map = meta[role]
    if (map === undefined || map === null) continue
    if (!isObj(map)) fail(loc, role, 'expected a mapping')
    for (const [name, v] of Object.entries(map as Obj)) {
      const r = readRelation(role, name, v, loc)
      // Container-scoped requirers of subordinates may use the juju-* namespace (juju-info).
      if ((!subordinate || role !== 'requires' || r.scope !== 'container') && reserved(charm, name))
        fail(loc, `${role}.${name}`, `relation name ${JSON.stringify(name)} is reserved for Juju`)
      if (role !== 'requires' && reserved(charm, r.interface))
        fail(loc, `${role}.${name}.interface`, `interface ${JSON.stringify(r.interface)} is reserved for Juju`)
      if (seen.has(name))
        fail(
          loc,
          `${role}.${name}`,
          `relation name ${JSON.stringify(name)} is used twice (provides, requires and peers share one namespace)`,
        )
      seen.add(name)
      relations.push(r)
    }
  }
  if (subordinate && !relations.some((r) => r.role === 'requires' && r.scope === 'container')) {
    fail(loc, 'requires', 'a subordinate charm needs a "requires" relation with scope: container')
  }
  const bindings = meta['extra-bindings']
  if (bindings !== undefined && bindings !== null) {
    if (!isObj(bindings)) fail(loc, 'extra-bindings', 'expected a mapping')
    for (const name of Object.keys(bindings as Obj)) {
      if (seen.has(name)) fail(loc, `extra-bindings.${name}`, `${JSON.stringify(name)} is also a relation name`)
    }
  }
}

// storageCountC: "m", "m-n", "m+" or "m-" (unbounded).
const COUNT = /^(\d+)(?:(-)(\d+)?|(\+))?$/
const SIZE = /^\d+(\.\d+)?[MGTPEZY]?(i?B)?$/

function checkStorage(meta: Obj, loc: Location): Set<string> {
  const names = new Set<string>()
  const raw = meta.storage
  if (raw === undefined || raw === null) return names
  if (!isObj(raw)) fail(loc, 'storage', 'expected a mapping')
  for (const [name, v] of Object.entries(raw as Obj)) {
    const field = `storage.${name}`
    if (!isObj(v)) fail(loc, field, 'expected a mapping')
    const s = v as Obj
    if (s.type === undefined || s.type === null || s.type === '')
      fail(loc, `${field}.type`, 'storage type must be specified (block or filesystem)')
    if (s.type !== 'block' && s.type !== 'filesystem')
      fail(loc, `${field}.type`, `${shown(s.type)} is not a storage type (block, filesystem)`)
    if (s.location !== undefined && s.type !== 'filesystem')
      fail(loc, `${field}.location`, `location may not be given for type: ${String(s.type)}`)
    for (const k of ['shared', 'read-only'] as const)
      if (s[k] !== undefined && typeof s[k] !== 'boolean') fail(loc, `${field}.${k}`, 'expected true or false')
    for (const k of ['location', 'description'] as const)
      if (s[k] !== undefined && typeof s[k] !== 'string') fail(loc, `${field}.${k}`, 'expected a string')
    if (s['minimum-size'] !== undefined && !SIZE.test(String(s['minimum-size'])))
      fail(loc, `${field}.minimum-size`, `${shown(s['minimum-size'])} is not a size (e.g. 1G)`)
    if (s.multiple !== undefined) {
      const range = isObj(s.multiple) ? s.multiple.range : undefined
      const m = COUNT.exec(String(range ?? ''))
      if (!m) fail(loc, `${field}.multiple.range`, `${shown(range)} is not a count range (m, m-n, m+ or m-)`)
      const max = m?.[3] ?? (m?.[2] !== undefined || m?.[4] !== undefined ? undefined : m?.[1])
      if (max !== undefined && Number(max) === 0) fail(loc, `${field}.multiple.range`, 'a maximum count of 0 is not valid')
      if (max !== undefined && Number(max) < Number(m![1]))
        fail(loc, `${field}.multiple.range`, `${shown(range)}: the maximum is below the minimum`)
    }
    if (s.properties !== undefined && (!Array.isArray(s.properties) || s.properties.some((p) => p !== 'transient')))
      fail(loc, `${field}.properties`, 'expected a list whose only allowed item is "transient"')
    names.add(name)
  }
  return names
}

function checkContainers(meta: Obj, storage: ReadonlySet<string>, loc: Location): void {
  const raw = meta.containers
  if (raw === undefined || raw === null) return
  if (!isObj(raw)) fail(loc, 'containers', 'expected a mapping')
  const resources = isObj(meta.resources) ? meta.resources : {}
  for (const [name, v] of Object.entries(raw as Obj)) {
    const field = `containers.${name}`
    if (!isObj(v)) fail(loc, field, 'expected a mapping')
    const c = v as Obj
    if (c.resource !== undefined && c.resource !== null) {
      if (typeof c.resource !== 'string') fail(loc, `${field}.resource`, 'expected a resource name')
      const res = resources[c.resource as string]
      if (res === undefined) fail(loc, `${field}.resource`, `refers to resource ${shown(c.resource)}, which metadata.yaml does not declare`)
      const type = isObj(res) ? (res.type ?? 'file') : 'file'
      if (type !== 'oci-image') fail(loc, `${field}.resource`, `refers to resource ${shown(c.resource)}, which is not an oci-image`)
    }
    if (c.bases !== undefined && c.bases !== null && !Array.isArray(c.bases)) fail(loc, `${field}.bases`, 'expected a list')
    for (const k of ['uid', 'gid'] as const)
      if (c[k] !== undefined && !Number.isInteger(c[k])) fail(loc, `${field}.${k}`, 'expected an integer')
    if (c.mounts === undefined || c.mounts === null) continue
    if (!Array.isArray(c.mounts)) fail(loc, `${field}.mounts`, 'expected a list')
    ;(c.mounts as unknown[]).forEach((m, i) => {
      const mf = `${field}.mounts[${i}]`
      if (!isObj(m)) return fail(loc, mf, 'expected a mapping (storage, location)')
      if (typeof m.storage !== 'string' || m.storage === '') fail(loc, `${mf}.storage`, 'must be specified')
      if (typeof m.location !== 'string' || m.location === '') fail(loc, `${mf}.location`, 'must be specified')
      if (!storage.has(m.storage as string)) fail(loc, `${mf}.storage`, `storage ${shown(m.storage)} is not declared under storage:`)
    })
  }
}

function checkStringLists(meta: Obj, loc: Location): void {
  for (const k of ['series', 'tags', 'categories', 'terms'] as const) {
    const v = meta[k]
    if (v === undefined || v === null) continue
    if (!Array.isArray(v)) fail(loc, k, 'expected a list of strings')
    ;(v as unknown[]).forEach((x, i) => {
      if (typeof x !== 'string') fail(loc, `${k}[${i}]`, 'expected a string')
    })
  }
  if (meta.assumes !== undefined && meta.assumes !== null && !Array.isArray(meta.assumes)) fail(loc, 'assumes', 'expected a list')
  for (const k of ['min-juju-version', 'charm-user'] as const)
    if (meta[k] !== undefined && typeof meta[k] !== 'string') fail(loc, k, 'expected a string')
}

/** Everything Meta.Check refuses beyond name, summary, description and resources (read by the caller). */
export function checkCharmMeta(meta: Obj, charm: string, loc: Location): void {
  checkStringLists(meta, loc)
  checkRelations(meta, charm, meta.subordinate === true, loc)
  const storage = checkStorage(meta, loc)
  checkContainers(meta, storage, loc)
}
