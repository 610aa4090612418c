import type { Command } from 'commander'

export function configFlags(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'YAML config file (env AIRLOCK_CONFIG)')
    .option('--host <host>', 'listen address (env AIRLOCK_HOST, default 127.0.0.1)')
    .option('--port <port>', 'listen port, 0 = any free port (env AIRLOCK_PORT, default 8080)')
    .option('--data-dir <dir>', 'blobs, embedded database, admin token (env AIRLOCK_DATA_DIR, default ./data)')
    .option('--public-url <url>', 'base of every download URL (env AIRLOCK_PUBLIC_URL)')
    .option('--database-url <url>', 'PostgreSQL connection string; unset = embedded PGlite (env DATABASE_URL)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (env AIRLOCK_LOG_LEVEL, default info)')
    .option(
      '--trusted-assertions <files>',
      'extra root account/account-key assertion files, comma-separated (env AIRLOCK_TRUSTED_ASSERTIONS)',
    )
    .option(
      '--trusted-proxies <addresses>',
      'proxies whose X-Forwarded-Proto/-Host are honoured: addresses or CIDR blocks, comma-separated (env AIRLOCK_TRUSTED_PROXIES)',
    )
}

type Flags = Record<string, string | undefined> & { config?: string }

// The server stack (fastify, pg, PGlite ..., and the YAML config loader) is imported by these two
// commands only, so that the client commands (push-charms, list ...) start fast.
export function registerServe(program: Command): void {
  configFlags(program.command('serve').description('run the store server')).action(async (flags: Flags) => {
    const [{ serve }, { loadConfig }] = await Promise.all([import('../../main.js'), import('../../config/load.js')])
    await serve(loadConfig({ file: flags.config, flags }))
  })
  configFlags(program.command('migrate').description('run database migrations, then exit')).action(async (flags: Flags) => {
    const [{ migrateOnly }, { loadConfig }] = await Promise.all([import('../../main.js'), import('../../config/load.js')])
    const applied = await migrateOnly(loadConfig({ file: flags.config, flags }))
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n')
  })
}
