// Request and response shapes of the operations routes under /admin/v1/ (docs/day-to-day.md).
import { Type, type Static } from '@sinclair/typebox'

const PackageTypeT = Type.Union([Type.Literal('charm'), Type.Literal('bundle'), Type.Literal('snap')])
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max })

const Target = {
  name: Text(200),
  type: Type.Optional(PackageTypeT),
  base: Type.Optional(Text(64)),
  arch: Type.Optional(Text(32)),
}

export const ReleaseBody = Type.Object(
  { ...Target, revision: Type.Integer({ minimum: 1 }), channels: Type.Array(Text(300), { minItems: 1, maxItems: 100 }) },
  { additionalProperties: false },
)
export type ReleaseBody = Static<typeof ReleaseBody>

export const CloseBody = Type.Object(
  { ...Target, channels: Type.Array(Text(300), { minItems: 1, maxItems: 100 }) },
  { additionalProperties: false },
)
export type CloseBody = Static<typeof CloseBody>

export const RemoveBody = Type.Object(
  {
    name: Text(200),
    type: Type.Optional(PackageTypeT),
    revisions: Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 1000, default: [] }),
    force: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
)
export type RemoveBody = Static<typeof RemoveBody>

export const TokenBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 64 })),
    /** Seconds; absent: no expiry. */
    ttl: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
)
export type TokenBody = Static<typeof TokenBody>

export const AuditQuery = Type.Object({
  since: Type.Optional(Type.String({ format: 'date-time' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
})
export type AuditQuery = Static<typeof AuditQuery>
