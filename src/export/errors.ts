// What an export failure says: one line naming the package (or input file) and the problem. The CLI
// prints it and exits 1 (2 for usage); nothing else about the failure reaches the user.
export class ExportError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message)
  }
}

/** Prefixes a failure with the package it concerns, keeping other errors as they are. */
export function about(what: string, err: unknown): Error {
  if (err instanceof ExportError) return new ExportError(`${what}: ${err.message}`, err.exitCode)
  return err instanceof Error ? err : new Error(String(err))
}

/**
 * Text from a store or a file, made safe for a terminal: control characters (escape sequences, line
 * breaks) are shown as escapes, so a hostile answer can neither repaint the screen nor add lines.
 */
export function shown(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
