// What an export failure says: one line naming the package (or input file) and the problem. The CLI
// prints it and exits 1 (2 for usage); nothing else about the failure reaches the user.
export class ExportError extends Error {
  constructor(message: string, readonly exitCode: 1 | 2 = 1) { super(message) }
}

/** Prefixes a failure with the package it concerns, keeping other errors as they are. */
export function about(what: string, err: unknown): Error {
  if (err instanceof ExportError) return new ExportError(`${what}: ${err.message}`, err.exitCode)
  return err instanceof Error ? err : new Error(String(err))
}
