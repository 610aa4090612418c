// metadata.yaml, config.yaml and actions.yaml rules as Juju's charm library applies them (charm v12
// meta.go, config.go, actions.go): one table of YAML Juju refuses, with the field and problem each
// refusal must name, and one of YAML Juju accepts, which must pass.
import { describe, expect, it } from 'vitest'
import { checkActions, checkConfig } from '../../src/import/charm-config-rules.js'
import { checkCharmMeta } from '../../src/import/charm-meta-rules.js'
import { parseYamlMapping } from '../../src/import/yaml-text.js'

type Kind = 'metadata' | 'config' | 'actions'
const LOC = { file: 'charms-export.tar.gz', member: ['pg.tar.gz', 'pg_14.charm'] }

function check(kind: Kind, yaml: string): void {
  const file = `${kind}.yaml`
  const loc = { ...LOC, member: [...LOC.member, file] }
  if (kind === 'config') return checkConfig(yaml, loc)
  if (kind === 'actions') return checkActions(yaml, loc)
  const doc = parseYamlMapping(yaml, loc)
  checkCharmMeta(doc, String(doc.name ?? 'pg'), loc)
}

const REFUSED: Array<[string, Kind, string, string, RegExp]> = [
  // config.yaml
  [
    'unknown option type',
    'config',
    'options:\n  port:\n    type: integer\n    default: 5432\n',
    'options.port.type',
    /^"integer" is not a type Juju accepts \(string, int, float, boolean, secret\)$/,
  ],
  [
    'int default that is a word',
    'config',
    'options:\n  port: {type: int, default: many}\n',
    'options.port.default',
    /^"many" is not a valid int$/,
  ],
  [
    'int default that is a float',
    'config',
    'options:\n  port: {type: int, default: 1.5}\n',
    'options.port.default',
    /^1\.5 is not a valid int$/,
  ],
  [
    'string default that is a number',
    'config',
    'options:\n  name: {type: string, default: 5}\n',
    'options.name.default',
    /^5 is not a valid string$/,
  ],
  [
    'boolean default that is a word',
    'config',
    'options:\n  flag: {type: boolean, default: perhaps}\n',
    'options.flag.default',
    /^"perhaps" is not a valid boolean$/,
  ],
  [
    'float default that is a list',
    'config',
    'options:\n  ratio: {type: float, default: [1]}\n',
    'options.ratio.default',
    /^\[1\] is not a valid float$/,
  ],
  [
    'float default written as an int (juju/schema Float takes floats only)',
    'config',
    'options:\n  ratio: {type: float, default: 123}\n',
    'options.ratio.default',
    /^123 is not a valid float$/,
  ],
  [
    'float default written as a string',
    'config',
    'options:\n  ratio: {type: float, default: "2.5"}\n',
    'options.ratio.default',
    /^"2\.5" is not a valid float$/,
  ],
  [
    'string default that yaml.v2 reads as a boolean',
    'config',
    'options:\n  mode: {type: string, default: yes}\n',
    'options.mode.default',
    /^true is not a valid string$/,
  ],
  [
    'secret default that is not a secret URI',
    'config',
    'options:\n  key: {type: secret, default: "hunter2"}\n',
    'options.key.default',
    /^"hunter2" is not a valid secret$/,
  ],
  ['a config.yaml without options', 'config', 'other: 1\n', 'options', /empty configuration/],
  ['"{}" as config.yaml (Juju 3.6 and 4.0 refuse it)', 'config', '{}\n', 'options', /empty configuration/],
  [
    'secret default that is a number',
    'config',
    'options:\n  key: {type: secret, default: 3}\n',
    'options.key.default',
    /^3 is not a valid secret$/,
  ],
  ['empty int default', 'config', 'options:\n  port: {type: int, default: ""}\n', 'options.port.default', /^"" is not a valid int$/],
  ['option that is not a mapping', 'config', 'options:\n  port: 5432\n', 'options.port', /expected a mapping/],
  ['options that is a list', 'config', 'options: [a, b]\n', 'options', /expected a mapping/],
  ['an empty config.yaml', 'config', '# nothing\n', 'options', /empty configuration/],
  // actions.yaml
  ['upper-case action name', 'actions', 'Backup: {description: x}\n', 'Backup', /bad action name/],
  ['action name ending in -', 'actions', 'backup-: {description: x}\n', 'backup-', /bad action name/],
  ['reserved juju- action', 'actions', 'juju-run: {description: x}\n', 'juju-run', /"juju-" prefix is reserved/],
  ['action that is a string', 'actions', 'backup: now\n', 'backup', /expected a mapping/],
  ['description that is a list', 'actions', 'backup: {description: [a]}\n', 'backup.description', /must be a string/],
  ['parallel that is a string', 'actions', 'backup: {parallel: "yes"}\n', 'backup.parallel', /must be true or false/],
  ['required that is a string', 'actions', 'backup: {required: target}\n', 'backup.required', /must be a YAML list/],
  ['params that is a list', 'actions', 'backup:\n  params: [target]\n', 'backup.params', /expected a mapping of parameter names/],
  [
    'param with an unknown JSON type',
    'actions',
    'backup:\n  params:\n    target: {type: str}\n',
    'backup.params.target.type',
    /"str" is not a JSON Schema type/,
  ],
  [
    'param that is a string',
    'actions',
    'backup:\n  params:\n    target: string\n',
    'backup.params.target',
    /expected a mapping \(a JSON Schema\)/,
  ],
  [
    'nested property with a bad type',
    'actions',
    'backup:\n  params:\n    opts:\n      type: object\n      properties:\n        count: {type: int}\n',
    'backup.params.opts.properties.count.type',
    /"int" is not a JSON Schema type/,
  ],
  [
    '$ref in a param schema',
    'actions',
    'backup:\n  params:\n    target: {$ref: "#/x"}\n',
    'backup.params.target.$ref',
    /schema key "\$ref" is not supported/,
  ],
  [
    '$schema on an action',
    'actions',
    'backup:\n  $schema: http://json-schema.org/draft-04/schema#\n',
    'backup.$schema',
    /schema key "\$schema" is not supported/,
  ],
  // metadata.yaml
  [
    'relation without an interface',
    'metadata',
    'name: pg\nprovides:\n  db: {limit: 1}\n',
    'provides.db.interface',
    /expected the interface name/,
  ],
  [
    'relation with a bad scope',
    'metadata',
    'name: pg\nrequires:\n  db: {interface: pgsql, scope: model}\n',
    'requires.db.scope',
    /"model" is not a relation scope/,
  ],
  ['relation that is a list', 'metadata', 'name: pg\nprovides:\n  db: [pgsql]\n', 'provides.db', /expected an interface name or a mapping/],
  ['reserved relation name', 'metadata', 'name: pg\nprovides:\n  juju-info: {interface: x}\n', 'provides.juju-info', /reserved for Juju/],
  [
    'reserved interface on a provider',
    'metadata',
    'name: pg\nprovides:\n  info: {interface: juju-info}\n',
    'provides.info.interface',
    /interface "juju-info" is reserved/,
  ],
  ['one relation name in two roles', 'metadata', 'name: pg\nprovides:\n  db: pgsql\nrequires:\n  db: pgsql\n', 'requires.db', /used twice/],
  [
    'subordinate without a container-scoped requirer',
    'metadata',
    'name: pg\nsubordinate: true\nrequires:\n  db: pgsql\n',
    'requires',
    /subordinate charm needs/,
  ],
  ['provides that is a list', 'metadata', 'name: pg\nprovides: [db]\n', 'provides', /expected a mapping/],
  ['storage without a type', 'metadata', 'name: pg\nstorage:\n  data: {location: /srv}\n', 'storage.data.type', /must be specified/],
  [
    'storage of an unknown type',
    'metadata',
    'name: pg\nstorage:\n  data: {type: tmpfs}\n',
    'storage.data.type',
    /"tmpfs" is not a storage type/,
  ],
  [
    'block storage with a location',
    'metadata',
    'name: pg\nstorage:\n  data: {type: block, location: /srv}\n',
    'storage.data.location',
    /location may not be given/,
  ],
  [
    'storage range that is not a range',
    'metadata',
    'name: pg\nstorage:\n  data: {type: filesystem, multiple: {range: lots}}\n',
    'storage.data.multiple.range',
    /is not a count range/,
  ],
  [
    'storage range with a max of 0',
    'metadata',
    'name: pg\nstorage:\n  data: {type: filesystem, multiple: {range: "0"}}\n',
    'storage.data.multiple.range',
    /maximum count of 0/,
  ],
  [
    'container naming an undeclared resource',
    'metadata',
    'name: pg\ncontainers:\n  app: {resource: img}\n',
    'containers.app.resource',
    /does not declare/,
  ],
  [
    'container naming a file resource',
    'metadata',
    'name: pg\nresources:\n  img: {type: file, filename: x}\ncontainers:\n  app: {resource: img}\n',
    'containers.app.resource',
    /not an oci-image/,
  ],
  [
    'container mount of undeclared storage',
    'metadata',
    'name: pg\ncontainers:\n  app:\n    mounts: [{storage: data, location: /srv}]\n',
    'containers.app.mounts[0].storage',
    /not declared under storage/,
  ],
  [
    'container mount without a location',
    'metadata',
    'name: pg\nstorage:\n  data: {type: filesystem}\ncontainers:\n  app:\n    mounts: [{storage: data}]\n',
    'containers.app.mounts[0].location',
    /must be specified/,
  ],
  ['series that is a string', 'metadata', 'name: pg\nseries: jammy\n', 'series', /expected a list of strings/],
  [
    'extra binding that clashes with a relation',
    'metadata',
    'name: pg\nprovides:\n  db: pgsql\nextra-bindings:\n  db:\n',
    'extra-bindings.db',
    /also a relation name/,
  ],
]

const ACCEPTED: Array<[string, Kind, string]> = [
  [
    'every option type, with matching defaults',
    'config',
    'options:\n  s: {type: string, default: x}\n  i: {type: int, default: 5}\n  f: {type: float, default: 1.5}\n  b: {type: boolean, default: false}\n  k: {type: secret}\n',
  ],
  ['no type (string, as pyjuju) and an empty string default', 'config', 'options:\n  s: {default: ""}\n  t: {type: string, default: ""}\n'],
  [
    'ints and booleans written as strings (juju/schema coerces them)',
    'config',
    'options:\n  i: {type: int, default: "0x10"}\n  b: {type: boolean, default: "true"}\n',
  ],
  [
    'YAML 1.1 booleans, a float with a point, a secret URI, a date-like string',
    'config',
    'options:\n  b: {type: boolean, default: yes}\n  f: {type: float, default: 1.0}\n  k: {type: secret, default: "secret:cu5l0ahr8b1s73dmr6e0"}\n  d: {type: string, default: 2001-12-14}\n',
  ],
  ['options: with nothing under it', 'config', 'options:\n'],
  ['unknown keys at option level (Juju ignores them)', 'config', 'options:\n  s: {type: string, default: x, hidden: true}\n'],
  ['null default', 'config', 'options:\n  i: {type: int, default: null}\n'],
  ['an empty options mapping', 'config', 'options: {}\n'],
  [
    'actions with params, required and parallel',
    'actions',
    'backup:\n  description: Back up.\n  params:\n    target: {type: string, enum: [s3, local]}\n    tags: {type: array, items: {type: string}}\n  required: [target]\n  parallel: true\n  additionalProperties: false\nre-index: {}\n',
  ],
  [
    'a subordinate with a container-scoped juju-info requirer',
    'metadata',
    'name: agent\nsubordinate: true\nrequires:\n  juju-info: {interface: juju-info, scope: container}\n',
  ],
  [
    'string relations, storage, containers and unknown keys',
    'metadata',
    'name: pg\nprovides:\n  db: pgsql\npeers:\n  replicas: {interface: pg-peers, limit: 1}\nstorage:\n  data: {type: filesystem, location: /srv, multiple: {range: 1-}, minimum-size: 1G}\nresources:\n  img: {type: oci-image}\ncontainers:\n  app: {resource: img, mounts: [{storage: data, location: /var/lib/pg}]}\nassumes: [k8s-api]\nlinks: {website: x}\n',
  ],
]

describe('charm YAML Juju refuses', () => {
  it.each(REFUSED)('%s', (_name, kind, yaml, field, problem) => {
    let err: any
    try {
      check(kind, yaml)
    } catch (e) {
      err = e
    }
    expect(err?.code, `expected a refusal for ${kind}.yaml`).toBe('invalid-input')
    expect(err.location.field).toBe(field)
    expect(err.problem).toMatch(problem)
    expect(err.message.startsWith(`charms-export.tar.gz: pg.tar.gz: pg_14.charm: ${kind}.yaml (${field}): `)).toBe(true)
  })
})

describe('charm YAML Juju accepts', () => {
  it.each(ACCEPTED)('%s', (_name, kind, yaml) => {
    expect(() => check(kind, yaml)).not.toThrow()
  })
})
