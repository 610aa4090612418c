// Kept apart from load.ts (and its YAML parser) so that the CLI can recognise the error without
// loading the configuration machinery, which only serve and migrate need.
/** A configuration value or file that cannot be used; the CLI turns it into exit status 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

/**
 * The server cannot start (or `migrate` cannot run) for a reason outside the configuration's syntax:
 * the data dir, the database, the port. One line naming the cause; the CLI exits 1 without a trace.
 */
export class StartupError extends Error {
  override readonly name = 'StartupError'
}
