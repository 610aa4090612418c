// The Charmhub response shapes as Juju's Go structs decode them (docs/protocol/charmhub.md §5.4, §7.1, §8). Declared once;
// tests check raw response bodies against them with Value.Check (no coercion), so a wrong JSON type
// fails here before it fails in the field.
import { Type } from '@sinclair/typebox'

const Str = Type.String()
const Int = Type.Integer()
const Rfc3339 = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$' })
const Hex = (n: number) => Type.String({ pattern: `^[0-9a-f]{${n}}$` })

export const Base = Type.Object({ architecture: Str, name: Str, channel: Str }, { additionalProperties: false })

export const Download = Type.Object(
  {
    'hash-sha-256': Hex(64),
    'hash-sha-384': Hex(96),
    size: Int,
    url: Type.String({ pattern: '^https?://' }),
  },
  { additionalProperties: false },
)

export const ResourceRevision = Type.Object(
  {
    description: Str,
    download: Download,
    filename: Str,
    name: Str,
    revision: Int,
    type: Type.Union([Type.Literal('file'), Type.Literal('oci-image')]),
  },
  { additionalProperties: false },
)

export const Publisher = Type.Record(Str, Str)

export const RefreshEntity = Type.Object({
  'actions-yaml': Type.Optional(Str),
  bases: Type.Array(Base),
  'bundle-yaml': Type.Optional(Str),
  'config-yaml': Type.Optional(Str),
  'created-at': Type.Optional(Rfc3339),
  download: Type.Optional(Download),
  id: Str,
  license: Type.Optional(Str),
  'metadata-yaml': Type.Optional(Str),
  name: Str,
  publisher: Type.Optional(Publisher),
  resources: Type.Optional(Type.Array(ResourceRevision)),
  revision: Int,
  summary: Type.Optional(Str),
  type: Type.Union([Type.Literal('charm'), Type.Literal('bundle')]),
  version: Type.Optional(Str),
})

export const APIError = Type.Object({
  code: Str,
  message: Str,
  extra: Type.Optional(
    Type.Object({
      releases: Type.Optional(Type.Array(Type.Object({ base: Base, channel: Str }, { additionalProperties: false }))),
      'default-bases': Type.Optional(Type.Array(Base)),
    }),
  ),
})

export const RefreshResult = Type.Object({
  charm: Type.Union([RefreshEntity, Type.Null()]),
  'effective-channel': Type.Optional(Str),
  error: Type.Optional(APIError),
  id: Str,
  'instance-key': Str,
  name: Str,
  'released-at': Type.Union([Rfc3339, Type.Null()]),
  result: Str,
})

export const RefreshResponse = Type.Object({ 'error-list': Type.Array(APIError), results: Type.Array(RefreshResult) })

export const Channel = Type.Object({ base: Base, name: Str, 'released-at': Rfc3339, risk: Str, track: Str })

export const InfoRevision = Type.Object({
  attributes: Type.Optional(Type.Record(Str, Str)),
  bases: Type.Array(Base),
  'created-at': Rfc3339,
  download: Type.Object({ 'hash-sha-256': Hex(64), 'hash-sha-384': Type.Optional(Hex(96)), size: Int, url: Str }),
  revision: Int,
  version: Str,
  'actions-yaml': Type.Optional(Str),
  'bundle-yaml': Type.Optional(Str),
  'config-yaml': Type.Optional(Str),
  'metadata-yaml': Type.Optional(Str),
  'readme-md': Type.Optional(Str),
  relations: Type.Optional(Type.Object({})),
  subordinate: Type.Optional(Type.Boolean()),
})

export const Entity = Type.Object({
  categories: Type.Array(Type.Object({ featured: Type.Boolean(), name: Str })),
  'contains-charms': Type.Array(Type.Object({ name: Str, 'package-id': Str, 'store-url': Str })),
  description: Str,
  license: Str,
  publisher: Publisher,
  summary: Str,
  'used-by': Type.Array(Str),
  'store-url': Str,
})

export const InfoResponse = Type.Object({
  type: Type.Union([Type.Literal('charm'), Type.Literal('bundle')]),
  id: Str,
  name: Str,
  result: Entity,
  'channel-map': Type.Array(Type.Object({ channel: Channel, revision: InfoRevision })),
  'default-release': Type.Object({ channel: Channel, revision: InfoRevision, resources: Type.Array(ResourceRevision) }),
})

export const FindResponse = Type.Object({
  results: Type.Array(
    Type.Object({
      type: Type.Union([Type.Literal('charm'), Type.Literal('bundle')]),
      id: Str,
      name: Str,
      result: Type.Object({ publisher: Publisher, summary: Str, 'store-url': Str }),
      // Juju's find asks only for default-release.revision.{bases,version} (docs/protocol/charmhub.md §2), so channel may be absent.
      'default-release': Type.Object({
        channel: Type.Optional(Channel),
        revision: Type.Object({ bases: Type.Array(Base), revision: Type.Optional(Int), version: Str }),
      }),
    }),
  ),
})

export const ResourceRevisionsResponse = Type.Object({ revisions: Type.Array(ResourceRevision) }, { additionalProperties: false })

export const ErrorListResponse = Type.Object({ 'error-list': Type.Array(APIError, { minItems: 1 }) })
