import type { Command } from 'commander'
import { parseDuration } from '../../config/size.js'
import { CliError } from '../admin-client.js'

export function registerToken(program: Command): void {
  const token = program.command('token').description('admin tokens')
  token.command('create').description('mint an admin token (reads the signing key from the data dir)')
    .option('--ttl <duration>', 'lifetime, with s, m, h or d suffix', '30d')
    .option('--data-dir <dir>', 'the server data dir (env AIRLOCK_DATA_DIR, default ./data)')
    .option('--json', 'machine-readable output')
    .action(async (flags: { ttl: string; dataDir?: string; json?: boolean }) => {
      const ttl = parseDuration(flags.ttl)
      if (ttl === undefined) throw new CliError(`invalid --ttl ${JSON.stringify(flags.ttl)}: expected a number with s, m, h or d, such as 30d`, 2)
      // jose is loaded by this command only.
      const { createToken, loadSigningKey } = await import('../../admin/tokens.js')
      let key: Uint8Array
      try { key = loadSigningKey(flags.dataDir ?? process.env.AIRLOCK_DATA_DIR ?? './data', false) } catch (err) { throw new CliError((err as Error).message) }
      const jwt = await createToken(key, { ttlSeconds: ttl })
      const expires = new Date(Date.now() + ttl * 1000).toISOString()
      process.stdout.write(flags.json ? JSON.stringify({ token: jwt, expires }) + '\n' : `${jwt}\n`)
    })
}
