// YAML parsing that names the file on error and refuses what Juju's strict decoders would refuse.
import { parseDocument } from 'yaml'
import { InvalidInput, type Location } from '../catalog/errors.js'

/**
 * `yaml11`: YAML 1.1 as Go's yaml.v2 reads it (yes/no/on/off are booleans), with integers as bigint
 * so that `1` and `1.0` stay apart, as they do for Juju's int and float checks.
 */
export function parseYamlMapping(
  text: string,
  where: Location,
  opts: { failsafe?: boolean; yaml11?: boolean } = {},
): Record<string, unknown> {
  let value: unknown
  try {
    const doc = opts.yaml11
      ? parseDocument(text, { uniqueKeys: true, version: '1.1', intAsBigInt: true, prettyErrors: false })
      : parseDocument(text, { uniqueKeys: true, schema: opts.failsafe ? 'failsafe' : 'core', prettyErrors: false })
    if (doc.errors.length > 0) throw doc.errors[0]
    value = doc.toJS({ maxAliasCount: 100 })
  } catch (err) {
    throw new InvalidInput(where, `invalid YAML: ${(err as Error).message.split('\n')[0]}`)
  }
  if (value === null || value === undefined) return {}
  if (typeof value !== 'object' || Array.isArray(value)) throw new InvalidInput(where, 'invalid YAML: the top level must be a mapping')
  return value as Record<string, unknown>
}

export function parseJson(text: string, where: Location): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new InvalidInput(where, `invalid JSON: ${(err as Error).message}`)
  }
}
