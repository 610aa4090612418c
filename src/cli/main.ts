// The airlock command line. Exit status: 0 done, 1 refused or failed, 2 usage or configuration.
import { Command, CommanderError } from 'commander'
import { ConfigError } from '../config/errors.js'
import { VERSION } from '../version.js'
import { CliError } from './admin-client.js'
import { registerServe } from './commands/serve.js'
import { registerPush } from './commands/push.js'
import { registerList } from './commands/list.js'
import { registerToken } from './commands/token.js'
import { registerImages } from './commands/images.js'
import { registerExport } from './commands/export.js'

const program = new Command('airlock')
  .description('Airlock: a self-hosted, offline Charmhub and Snap Store')
  .version(VERSION)
  .showHelpAfterError()
  .exitOverride()
registerServe(program)
registerPush(program)
registerList(program)
registerToken(program)
registerImages(program)
registerExport(program)

function exitWith(err: unknown): never {
  if (err instanceof CommanderError) {
    process.exit(err.exitCode === 0 ? 0 : 2)
  }
  if (err instanceof ConfigError) {
    process.stderr.write(`airlock: ${err.message}\n`)
    process.exit(2)
  }
  if (err instanceof CliError) {
    process.stderr.write(`airlock: ${err.message}\n`)
    process.exit(err.exitCode)
  }
  process.stderr.write(`airlock: ${(err as Error)?.stack ?? String(err)}\n`)
  process.exit(1)
}

program.commands.forEach((c) => c.exitOverride())
for (const c of program.commands) c.commands.forEach((s) => s.exitOverride())
program.parseAsync(process.argv).catch(exitWith)
