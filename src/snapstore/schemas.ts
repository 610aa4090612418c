// The Snap Store response shapes as snapd's Go structs decode them (docs/protocol/snap-store.md §4.2,
// §4.3, §5, §9; details_v2.go storeSnap, storeInfo, search_v2.go). Declared once; tests check raw
// bodies with Value.Check (no coercion), so a wrong JSON type fails here before it fails in snapd.
import { Type, type Static } from '@sinclair/typebox'

const Str = Type.String()
const Int = Type.Integer()
const Rfc3339 = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$' })
const AbsUrl = Type.String({ pattern: '^https?://' })

/** snap/types.go accepts only these; "" or null fails the whole response (gotcha 2). */
export const SnapType = Type.Union(['app', 'application', 'gadget', 'kernel', 'base', 'os', 'snapd'].map((t) => Type.Literal(t)))
export const Confinement = Type.Union([Type.Literal('strict'), Type.Literal('classic'), Type.Literal('devmode')])
export const Epoch = Type.Object(
  { read: Type.Array(Int, { minItems: 1 }), write: Type.Array(Int, { minItems: 1 }) },
  { additionalProperties: false },
)

export const Download = Type.Object(
  {
    url: AbsUrl,
    size: Int,
    /** Lowercase hex (gotcha 3), compared with `%x` of the streamed SHA3-384. */
    'sha3-384': Type.String({ pattern: '^[0-9a-f]{96}$' }),
    deltas: Type.Array(Type.Object({})),
  },
  { additionalProperties: false },
)

export const Publisher = Type.Object({ id: Str, username: Str, 'display-name': Str, validation: Str }, { additionalProperties: false })
export const Category = Type.Object({ featured: Type.Boolean(), name: Str })
export const Media = Type.Object({ type: Str, url: Str, width: Type.Optional(Int), height: Type.Optional(Int) })

/** Package-level fields (info's `snap`, find's `snap`). */
export const SnapPackage = Type.Object(
  {
    name: Type.Optional(Str),
    'snap-id': Type.Optional(Str),
    summary: Type.Optional(Str),
    description: Type.Optional(Str),
    title: Type.Optional(Str),
    license: Type.Optional(Str),
    contact: Type.Optional(Str),
    website: Type.Optional(Str),
    'store-url': Type.Optional(Str),
    links: Type.Optional(Type.Record(Str, Type.Array(Str))),
    media: Type.Optional(Type.Array(Media)),
    publisher: Type.Optional(Publisher),
    private: Type.Optional(Type.Boolean()),
    'common-ids': Type.Optional(Type.Array(Str)),
    categories: Type.Optional(Type.Array(Category)),
  },
  { additionalProperties: false },
)

/** Revision-level fields (channel-map entries, find's `revision`). */
export const SnapRevision = Type.Object(
  {
    revision: Type.Optional(Type.Integer({ minimum: 1 })),
    version: Type.Optional(Str),
    type: Type.Optional(SnapType),
    confinement: Type.Optional(Confinement),
    base: Type.Optional(Type.Union([Str, Type.Null()])),
    architectures: Type.Optional(Type.Array(Str)),
    epoch: Type.Optional(Epoch),
    'created-at': Type.Optional(Rfc3339),
    download: Type.Optional(Download),
    'snap-yaml': Type.Optional(Str),
  },
  { additionalProperties: false },
)

/** The `snap` of a refresh result (§4.3): everything, so store fields override snap-yaml (gotcha 7). */
export const StoreSnap = Type.Composite(
  [
    Type.Omit(SnapPackage, ['name', 'snap-id']),
    Type.Object({
      name: Str,
      'snap-id': Str,
      revision: Type.Integer({ minimum: 1 }),
      version: Str,
      type: SnapType,
      confinement: Confinement,
      base: Type.Union([Str, Type.Null()]),
      architectures: Type.Array(Str),
      epoch: Epoch,
      'created-at': Rfc3339,
      download: Download,
      'snap-yaml': Type.Optional(Str),
    }),
  ],
  { additionalProperties: false },
)

export const ActionError = Type.Object(
  {
    code: Str,
    message: Str,
    extra: Type.Optional(
      Type.Object({ releases: Type.Array(Type.Object({ architecture: Str, channel: Str }, { additionalProperties: false })) }),
    ),
  },
  { additionalProperties: false },
)

export const FetchAssertionsError = Type.Object(
  {
    code: Type.Literal('not-found'),
    message: Str,
    type: Str,
    'primary-key': Type.Optional(Type.Array(Str)),
    'sequence-key': Type.Optional(Type.Array(Str)),
  },
  { additionalProperties: false },
)

export const SnapResult = Type.Object(
  {
    result: Type.Union([Type.Literal('install'), Type.Literal('download'), Type.Literal('refresh')]),
    'instance-key': Str,
    'snap-id': Str,
    name: Str,
    'effective-channel': Type.Optional(Str),
    snap: StoreSnap,
  },
  { additionalProperties: false },
)

export const ErrorResult = Type.Object(
  {
    result: Type.Literal('error'),
    'instance-key': Str,
    'snap-id': Type.Optional(Str),
    name: Type.Optional(Str),
    error: ActionError,
  },
  { additionalProperties: false },
)

export const FetchAssertionsResult = Type.Object(
  {
    result: Type.Literal('fetch-assertions'),
    key: Str,
    'assertion-stream-urls': Type.Array(AbsUrl),
    'error-list': Type.Optional(Type.Array(FetchAssertionsError)),
  },
  { additionalProperties: false },
)

export const ErrorList = Type.Object({ 'error-list': Type.Array(Type.Object({ code: Str, message: Str }), { minItems: 1 }) })

export const RefreshResponse = Type.Object(
  {
    results: Type.Array(Type.Union([SnapResult, ErrorResult, FetchAssertionsResult])),
    'error-list': Type.Array(Type.Object({ code: Str, message: Str })),
  },
  { additionalProperties: false },
)

export const InfoChannel = Type.Object(
  { architecture: Str, name: Str, track: Str, risk: Str, 'released-at': Rfc3339 },
  { additionalProperties: false },
)

export const InfoResponse = Type.Object(
  {
    name: Str,
    'snap-id': Str,
    snap: SnapPackage,
    'channel-map': Type.Array(Type.Composite([SnapRevision, Type.Object({ channel: InfoChannel })], { additionalProperties: false }), {
      minItems: 1,
    }),
  },
  { additionalProperties: false },
)

export const FindResponse = Type.Object(
  {
    results: Type.Array(
      Type.Object(
        {
          name: Str,
          'snap-id': Str,
          snap: SnapPackage,
          revision: Type.Composite(
            [SnapRevision, Type.Object({ channel: Type.Optional(Str), 'common-ids': Type.Optional(Type.Array(Str)) })],
            { additionalProperties: false },
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
)

export const SectionsResponse = Type.Object(
  {
    _embedded: Type.Object(
      { 'clickindex:sections': Type.Array(Type.Object({ name: Str }, { additionalProperties: false })) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
)

export const CategoriesResponse = Type.Object(
  { categories: Type.Array(Type.Object({ name: Str }, { additionalProperties: false })) },
  { additionalProperties: false },
)

export const NamesResponse = Type.Object(
  {
    _embedded: Type.Object(
      {
        'clickindex:package': Type.Array(
          Type.Object(
            {
              package_name: Str,
              version: Str,
              summary: Str,
              aliases: Type.Array(Type.Object({ name: Str, target: Str })),
              apps: Type.Array(Str),
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
)

export const NonceResponse = Type.Object({ nonce: Type.String({ minLength: 1 }) }, { additionalProperties: false })
export const SessionResponse = Type.Object({ macaroon: Type.String({ minLength: 1 }) }, { additionalProperties: false })

export type StoreSnapT = Static<typeof StoreSnap>
export type SnapPackageT = Static<typeof SnapPackage>
export type SnapRevisionT = Static<typeof SnapRevision>
