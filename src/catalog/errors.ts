// Protocol-neutral errors. Each wire plugin maps them to its own envelope and status.

/** Where in an upload a problem was found: the file, the archive member path (outer to inner), a field. */
export interface Location {
  readonly file?: string | undefined
  readonly member?: readonly string[] | undefined
  readonly field?: string | undefined
}

export function describeLocation(loc: Location): string {
  const parts: string[] = []
  if (loc.file) parts.push(loc.file)
  for (const m of loc.member ?? []) parts.push(m)
  let s = parts.join(': ')
  if (loc.field) s += s ? ` (${loc.field})` : loc.field
  return s
}

abstract class CatalogError extends Error {
  abstract readonly code: string
}

/** The input is malformed or breaks an import rule. */
export class InvalidInput extends CatalogError {
  readonly code = 'invalid-input'
  constructor(
    readonly location: Location,
    readonly problem: string,
  ) {
    const where = describeLocation(location)
    super(where ? `${where}: ${problem}` : problem)
  }
}

/** The input would overwrite something already in the store with different content. */
export class Conflict extends CatalogError {
  readonly code = 'conflict'
  constructor(
    readonly location: Location,
    readonly problem: string,
  ) {
    const where = describeLocation(location)
    super(where ? `${where}: ${problem}` : problem)
  }
}

/** Another import changed the same rows at the same moment; running again sees its result. */
export class ConcurrentChange extends Conflict {
  constructor(problem: string) {
    super({}, problem)
  }
}

export class NotFound extends CatalogError {
  readonly code = 'not-found'
}

/** The request does not say enough to act on (a name both a charm and a snap carry): a usage error. */
export class Ambiguous extends CatalogError {
  readonly code = 'ambiguous'
}

export class Unavailable extends CatalogError {
  readonly code = 'unavailable'
}

export { CatalogError }

/**
 * The blob store's backing service (an object store) is not answering: the storage drivers reject
 * with code EUNAVAILABLE. Nothing about the input: callers that turn failures into InvalidInput pass
 * it through, and the HTTP layers answer 503 with Retry-After.
 */
export function isBlobStoreUnavailable(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'EUNAVAILABLE'
}
