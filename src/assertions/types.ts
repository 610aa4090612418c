// The assertion types snapd understands (asserts/asserts.go, typeRegistry), with what the rest of this
// module needs from each: the primary key (and its optional defaulted suffix), whether the type has an
// authority, whether it carries a `timestamp` that must lie within the signing key's validity, and the
// highest `format` snapd understands.

export interface AssertionType {
  readonly name: string
  readonly primaryKey: readonly string[]
  /** Optional primary-key headers and their defaults: omitted from the text when default. */
  readonly defaults?: Readonly<Record<string, string>>
  /** No authority-id (self-signed requests); never accepted in an upload. */
  readonly noAuthority?: boolean
  /** Has a `timestamp` header checked against the signing key's since/until (snapd's `timestamped`). */
  readonly timestamped?: boolean
  /**
   * Highest `format` understood. These are current snapd's values (docs/protocol/snap-store.md §6.1), newer than Debian
   * bookworm's 2.57.6 (snap-declaration 5, system-user 1): we should not refuse what current clients take.
   */
  readonly maxFormat: number
  /** The last primary key is a sequence number (`?sequence=`, sequence-key in fetch-assertions). */
  readonly sequenceForming?: boolean
}

const DEFAULT_PROVENANCE = { provenance: 'global-upload' }

const TYPES: readonly AssertionType[] = [
  { name: 'account', primaryKey: ['account-id'], timestamped: true, maxFormat: 0 },
  { name: 'account-key', primaryKey: ['public-key-sha3-384'], maxFormat: 1 },
  { name: 'repair', primaryKey: ['brand-id', 'repair-id'], timestamped: true, maxFormat: 0 },
  { name: 'model', primaryKey: ['series', 'brand-id', 'model'], timestamped: true, maxFormat: 0 },
  { name: 'serial', primaryKey: ['brand-id', 'model', 'serial'], timestamped: true, maxFormat: 0 },
  { name: 'base-declaration', primaryKey: ['series'], timestamped: true, maxFormat: 0 },
  { name: 'snap-declaration', primaryKey: ['series', 'snap-id'], timestamped: true, maxFormat: 7 },
  { name: 'snap-build', primaryKey: ['snap-sha3-384'], timestamped: true, maxFormat: 0 },
  { name: 'snap-revision', primaryKey: ['snap-sha3-384', 'provenance'], defaults: DEFAULT_PROVENANCE, timestamped: true, maxFormat: 0 },
  { name: 'snap-developer', primaryKey: ['snap-id', 'publisher-id'], maxFormat: 0 },
  { name: 'system-user', primaryKey: ['brand-id', 'email'], maxFormat: 2 },
  { name: 'validation', primaryKey: ['series', 'snap-id', 'approved-snap-id', 'approved-snap-revision'], timestamped: true, maxFormat: 0 },
  {
    name: 'validation-set',
    primaryKey: ['series', 'account-id', 'name', 'sequence'],
    timestamped: true,
    maxFormat: 0,
    sequenceForming: true,
  },
  { name: 'store', primaryKey: ['store'], timestamped: true, maxFormat: 0 },
  { name: 'preseed', primaryKey: ['series', 'brand-id', 'model', 'system-label'], timestamped: true, maxFormat: 0 },
  {
    name: 'snap-resource-revision',
    primaryKey: ['snap-id', 'resource-name', 'resource-sha3-384', 'provenance'],
    defaults: DEFAULT_PROVENANCE,
    timestamped: true,
    maxFormat: 0,
  },
  {
    name: 'snap-resource-pair',
    primaryKey: ['snap-id', 'resource-name', 'resource-revision', 'snap-revision', 'provenance'],
    defaults: DEFAULT_PROVENANCE,
    timestamped: true,
    maxFormat: 0,
  },
  { name: 'device-session-request', primaryKey: ['brand-id', 'model', 'serial'], noAuthority: true, timestamped: true, maxFormat: 0 },
  { name: 'serial-request', primaryKey: [], noAuthority: true, maxFormat: 0 },
  { name: 'account-key-request', primaryKey: ['public-key-sha3-384'], noAuthority: true, maxFormat: 0 },
]

const BY_NAME = new Map(TYPES.map((t) => [t.name, t]))

export function assertionType(name: string): AssertionType | undefined {
  return BY_NAME.get(name)
}
