// config.yaml and actions.yaml as Juju's charm library reads them (juju/charm v12 config.go
// ReadConfig and actions.go ReadActionsYaml; internal/charm in Juju 4.0 keeps the same rules). A charm
// these refuse is one `juju deploy` would refuse after download, so the import refuses it first.
import { InvalidInput, type Location } from '../catalog/errors.js'
import { parseYamlMapping } from './yaml-text.js'

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)
const isNum = (v: unknown): boolean => typeof v === 'number' || typeof v === 'bigint'
const shown = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x)) ?? String(v)
const fail = (loc: Location, field: string, problem: string): never => {
  throw new InvalidInput({ ...loc, field }, problem)
}

/** Both files are read by Go's yaml.v2: YAML 1.1, and ints kept apart from floats. */
export const parseJujuYaml = (text: string, loc: Location): Obj => parseYamlMapping(text, loc, { yaml11: true })

export const CONFIG_TYPES = ['string', 'int', 'float', 'boolean', 'secret'] as const

// juju/schema's checkers: Int also takes strings ParseInt(s, 0, 64) reads, Bool strings ParseBool
// reads; Float only floats (so `default: 1` is not a float, `1.0` is); String only strings. yaml.v2
// hands a timestamp-looking scalar over as a string, hence Date counts as one.
const GO_INT = /^[+-]?(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[1-9][0-9]*|0)$/
const GO_BOOL = new Set(['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False'])
const isStr = (v: unknown): boolean => typeof v === 'string' || v instanceof Date
const fitsType: Record<(typeof CONFIG_TYPES)[number], (v: unknown) => boolean> = {
  string: isStr,
  // secretC: a string that is empty or a URI with the "secret" scheme.
  secret: (v) => isStr(v) && /^secret:/.test(String(v)),
  int: (v) => typeof v === 'bigint' || (typeof v === 'string' && GO_INT.test(v)),
  float: (v) => typeof v === 'number',
  boolean: (v) => typeof v === 'boolean' || (typeof v === 'string' && GO_BOOL.has(v)),
}

/** config.yaml text, as ReadConfig checks it. */
export function checkConfig(text: string, loc: Location): void {
  const cfg = parseJujuYaml(text, loc)
  // ReadConfig: no document, or a mapping without an `options` key, is "invalid config: empty configuration".
  if (!('options' in cfg))
    fail(loc, 'options', 'empty configuration: Juju refuses a config.yaml without an options key (write "options: {}")')
  const options = cfg.options
  if (options === null) return
  if (!isObj(options)) return fail(loc, 'options', 'expected a mapping of option names to options')
  for (const [name, raw] of Object.entries(options)) {
    const field = `options.${name}`
    if (raw === null) continue // yaml.v2 leaves a zero Option: type "", read as string
    if (!isObj(raw)) fail(loc, field, 'expected a mapping (type, default, description)')
    const opt = raw as Obj
    if (
      opt.description !== undefined &&
      opt.description !== null &&
      typeof opt.description === 'object' &&
      !(opt.description instanceof Date)
    )
      fail(loc, `${field}.description`, 'expected a string')
    const type = opt.type === undefined || opt.type === null || opt.type === '' ? 'string' : opt.type
    if (typeof type === 'object' || !(CONFIG_TYPES as readonly unknown[]).includes(String(type))) {
      fail(loc, `${field}.type`, `${shown(type)} is not a type Juju accepts (${CONFIG_TYPES.join(', ')})`)
    }
    const t = String(type) as (typeof CONFIG_TYPES)[number]
    const def = opt.default
    // pyjuju compatibility in ReadConfig: an empty default is allowed for string and secret options.
    if (def === undefined || def === null || (def === '' && (t === 'string' || t === 'secret'))) continue
    if (!fitsType[t](def)) fail(loc, `${field}.default`, `${shown(def)} is not a valid ${t}`)
  }
}

// actions.go prohibitedSchemaKeys: refused anywhere in an action's schema.
const PROHIBITED = ['$ref', '$schema']
function prohibitedKeys(s: Obj, loc: Location, field: string): void {
  for (const k of PROHIBITED) if (k in s) fail(loc, `${field}.${k}`, `schema key ${JSON.stringify(k)} is not supported by Juju`)
}

// actions.go: actionNameRule, and the reserved "juju-" prefix.
const ACTION_NAME = /^[a-z](?:[a-z-]*[a-z])?$/
const JSON_TYPES = new Set(['array', 'boolean', 'integer', 'null', 'number', 'object', 'string'])

/** The parts of JSON Schema draft 4 that gojsonschema's NewSchema rejects when malformed. */
function checkSchema(s: unknown, loc: Location, field: string): void {
  if (!isObj(s)) return fail(loc, field, 'expected a mapping (a JSON Schema)')
  prohibitedKeys(s, loc, field)
  const type = s.type
  if (type !== undefined) {
    const list = Array.isArray(type) ? type : [type]
    if (list.length === 0) fail(loc, `${field}.type`, 'expected a JSON Schema type or a non-empty list of them')
    for (const t of list) {
      if (typeof t !== 'string' || !JSON_TYPES.has(t))
        fail(loc, `${field}.type`, `${shown(t)} is not a JSON Schema type (${[...JSON_TYPES].join(', ')})`)
    }
  }
  if (s.required !== undefined && (!Array.isArray(s.required) || !s.required.every((r) => typeof r === 'string')))
    fail(loc, `${field}.required`, 'expected a list of strings')
  if (s.enum !== undefined && (!Array.isArray(s.enum) || s.enum.length === 0)) fail(loc, `${field}.enum`, 'expected a non-empty list')
  if (s.properties !== undefined) checkProperties(s.properties, loc, `${field}.properties`)
  if (s.items !== undefined && !Array.isArray(s.items)) checkSchema(s.items, loc, `${field}.items`)
  if (s.additionalProperties !== undefined && typeof s.additionalProperties !== 'boolean')
    checkSchema(s.additionalProperties, loc, `${field}.additionalProperties`)
  for (const k of ['minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems'] as const) {
    if (s[k] !== undefined && !isNum(s[k])) fail(loc, `${field}.${k}`, 'expected a number')
  }
}

function checkProperties(p: unknown, loc: Location, field: string): void {
  if (p === undefined || p === null) return
  if (!isObj(p)) return fail(loc, field, 'expected a mapping of parameter names to JSON Schemas')
  for (const [name, s] of Object.entries(p)) checkSchema(s, loc, `${field}.${name}`)
}

/** actions.yaml text, as ReadActionsYaml checks it. */
export function checkActions(text: string, loc: Location): void {
  const actions = parseJujuYaml(text, loc)
  for (const [name, spec] of Object.entries(actions)) {
    if (!ACTION_NAME.test(name)) fail(loc, name, 'bad action name: lower-case letters and "-", starting and ending with a letter')
    if (name.startsWith('juju-')) fail(loc, name, 'the "juju-" prefix is reserved for Juju\'s own actions')
    if (spec === null) continue
    if (!isObj(spec)) fail(loc, name, 'expected a mapping (description, params, ...)')
    const s = spec as Obj
    prohibitedKeys(s, loc, name)
    for (const key of ['description', 'title', 'execution-group'] as const) {
      if (s[key] !== undefined && typeof s[key] !== 'string') fail(loc, `${name}.${key}`, 'must be a string')
    }
    if (s.parallel !== undefined && typeof s.parallel !== 'boolean') fail(loc, `${name}.parallel`, 'must be true or false')
    if (s.required !== undefined && !Array.isArray(s.required)) fail(loc, `${name}.required`, 'must be a YAML list')
    if (s.required !== undefined && !(s.required as unknown[]).every((r) => typeof r === 'string'))
      fail(loc, `${name}.required`, 'expected a list of parameter names')
    checkProperties(s.params, loc, `${name}.params`)
    if (s.additionalProperties !== undefined && typeof s.additionalProperties !== 'boolean')
      checkSchema(s.additionalProperties, loc, `${name}.additionalProperties`)
  }
}
