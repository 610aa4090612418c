// config.yaml and actions.yaml as Juju's charm library reads them (juju/charm v12 config.go
// ReadConfig and actions.go ReadActionsYaml; internal/charm in Juju 4.0 keeps the same rules). A charm
// these refuse is one `juju deploy` would refuse after download, so the import refuses it first.
import { InvalidInput, type Location } from '../catalog/errors.js'

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v)
const shown = (v: unknown): string => JSON.stringify(v) ?? String(v)
const fail = (loc: Location, field: string, problem: string): never => { throw new InvalidInput({ ...loc, field }, problem) }

export const CONFIG_TYPES = ['string', 'int', 'float', 'boolean', 'secret'] as const

// juju/schema's coercers: ints and floats also accept strings that parse as numbers (ParseInt with
// base 0, ParseFloat), booleans the strings ParseBool takes; strings accept only strings.
const GO_INT = /^[+-]?(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[1-9][0-9]*|0)$/
const GO_BOOL = new Set(['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False'])
const fitsType: Record<(typeof CONFIG_TYPES)[number], (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  secret: (v) => typeof v === 'string',
  int: (v) => (typeof v === 'number' && Number.isInteger(v)) || (typeof v === 'string' && GO_INT.test(v)),
  float: (v) => typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))),
  boolean: (v) => typeof v === 'boolean' || (typeof v === 'string' && GO_BOOL.has(v)),
}

/** `cfg` is config.yaml parsed; `empty` when the file held no YAML document at all. */
export function checkConfig(cfg: Obj, empty: boolean, loc: Location): void {
  // ReadConfig unmarshals into a nil *Config and refuses it ("invalid config: empty configuration").
  if (empty) fail(loc, 'options', 'empty configuration: Juju refuses a config.yaml with no document (write "options: {}")')
  const options = cfg.options
  if (options === undefined || options === null) return
  if (!isObj(options)) return fail(loc, 'options', 'expected a mapping of option names to options')
  for (const [name, raw] of Object.entries(options)) {
    const field = `options.${name}`
    if (raw === null) continue // yaml.v2 leaves a zero Option: type "", read as string
    if (!isObj(raw)) fail(loc, field, 'expected a mapping (type, default, description)')
    const opt = raw as Obj
    if (opt.description !== undefined && opt.description !== null && typeof opt.description === 'object') fail(loc, `${field}.description`, 'expected a string')
    const type = opt.type === undefined || opt.type === null || opt.type === '' ? 'string' : opt.type
    if (typeof type === 'object' || !(CONFIG_TYPES as readonly unknown[]).includes(String(type))) {
      fail(loc, `${field}.type`, `${shown(type)} is not a type Juju accepts (${CONFIG_TYPES.join(', ')})`)
    }
    const t = String(type) as (typeof CONFIG_TYPES)[number]
    const def = opt.default
    // pyjuju compatibility in ReadConfig: an empty string default is allowed for string options only.
    if (def === undefined || def === null || (def === '' && t === 'string')) continue
    if (!fitsType[t](def)) fail(loc, `${field}.default`, `${shown(def)} is not a valid ${t}`)
  }
}

// actions.go: actionNameRule, and the reserved "juju-" prefix.
const ACTION_NAME = /^[a-z](?:[a-z-]*[a-z])?$/
const JSON_TYPES = new Set(['array', 'boolean', 'integer', 'null', 'number', 'object', 'string'])

/** The parts of JSON Schema draft 4 that gojsonschema's NewSchema rejects when malformed. */
function checkSchema(s: unknown, loc: Location, field: string): void {
  if (!isObj(s)) return fail(loc, field, 'expected a mapping (a JSON Schema)')
  const type = s.type
  if (type !== undefined) {
    const list = Array.isArray(type) ? type : [type]
    if (list.length === 0) fail(loc, `${field}.type`, 'expected a JSON Schema type or a non-empty list of them')
    for (const t of list) {
      if (typeof t !== 'string' || !JSON_TYPES.has(t)) fail(loc, `${field}.type`, `${shown(t)} is not a JSON Schema type (${[...JSON_TYPES].join(', ')})`)
    }
  }
  if (s.required !== undefined && (!Array.isArray(s.required) || !s.required.every((r) => typeof r === 'string'))) fail(loc, `${field}.required`, 'expected a list of strings')
  if (s.enum !== undefined && (!Array.isArray(s.enum) || s.enum.length === 0)) fail(loc, `${field}.enum`, 'expected a non-empty list')
  if (s.properties !== undefined) checkProperties(s.properties, loc, `${field}.properties`)
  if (s.items !== undefined && !Array.isArray(s.items)) checkSchema(s.items, loc, `${field}.items`)
  if (s.additionalProperties !== undefined && typeof s.additionalProperties !== 'boolean') checkSchema(s.additionalProperties, loc, `${field}.additionalProperties`)
  for (const k of ['minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems'] as const) {
    if (s[k] !== undefined && typeof s[k] !== 'number') fail(loc, `${field}.${k}`, 'expected a number')
  }
}

function checkProperties(p: unknown, loc: Location, field: string): void {
  if (p === undefined || p === null) return
  if (!isObj(p)) return fail(loc, field, 'expected a mapping of parameter names to JSON Schemas')
  for (const [name, s] of Object.entries(p)) checkSchema(s, loc, `${field}.${name}`)
}

export function checkActions(actions: Obj, loc: Location): void {
  for (const [name, spec] of Object.entries(actions)) {
    if (!ACTION_NAME.test(name)) fail(loc, name, 'bad action name: lower-case letters and "-", starting and ending with a letter')
    if (name.startsWith('juju-')) fail(loc, name, 'the "juju-" prefix is reserved for Juju\'s own actions')
    if (spec === null) continue
    if (!isObj(spec)) fail(loc, name, 'expected a mapping (description, params, ...)')
    const s = spec as Obj
    for (const key of ['description', 'title', 'execution-group'] as const) {
      if (s[key] !== undefined && typeof s[key] !== 'string') fail(loc, `${name}.${key}`, 'must be a string')
    }
    if (s.parallel !== undefined && typeof s.parallel !== 'boolean') fail(loc, `${name}.parallel`, 'must be true or false')
    if (s.required !== undefined && !Array.isArray(s.required)) fail(loc, `${name}.required`, 'must be a YAML list')
    if (s.required !== undefined && !(s.required as unknown[]).every((r) => typeof r === 'string')) fail(loc, `${name}.required`, 'expected a list of parameter names')
    checkProperties(s.params, loc, `${name}.params`)
    if (s.additionalProperties !== undefined && typeof s.additionalProperties !== 'boolean') checkSchema(s.additionalProperties, loc, `${name}.additionalProperties`)
  }
}
