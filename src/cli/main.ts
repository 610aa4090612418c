// The airlock command line. Exit status: 0 done, 1 refused or failed, 2 usage or configuration.
import { Command, CommanderError } from 'commander'
import { ConfigError, StartupError } from '../config/errors.js'
import { VERSION } from '../version.js'
import { CliError } from './admin-client.js'
import { registerServe } from './commands/serve.js'
import { registerPush } from './commands/push.js'
import { registerList } from './commands/list.js'
import { registerToken } from './commands/token.js'
import { registerImages } from './commands/images.js'
import { registerChannels } from './commands/channels.js'
import { registerStatus } from './commands/status.js'
import { registerAudit } from './commands/audit.js'
import { registerGc } from './commands/gc.js'
import { registerExport } from './commands/export.js'
import { registerBlobs } from './commands/blobs.js'

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
registerChannels(program)
registerStatus(program)
registerAudit(program)
registerGc(program)
registerExport(program)
registerBlobs(program)

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
  if (err instanceof StartupError) {
    process.stderr.write(`airlock: ${err.message}\n`)
    process.exit(1)
  }
  // A bug or a case no message was written for: one line; the trace only when asked for.
  if (process.env.AIRLOCK_DEBUG === '1') process.stderr.write(`airlock: ${(err as Error)?.stack ?? String(err)}\n`)
  else
    process.stderr.write(
      `airlock: unexpected error: ${String((err as Error)?.message ?? err).split('\n')[0]} (AIRLOCK_DEBUG=1 shows where)\n`,
    )
  process.exit(1)
}

// `airlock list charms | head -1`: the reader has what it wanted; a closed pipe is not a failure.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0)
    throw err
  })
}

program.commands.forEach((c) => c.exitOverride())
for (const c of program.commands) c.commands.forEach((s) => s.exitOverride())
let finished = false
// A request whose connection is dropped at a bad moment can leave fetch's promise pending with
// nothing left to wake it: node would then exit 0 having said nothing.
process.on('beforeExit', () => {
  if (!finished)
    exitWith(
      new CliError(
        "the command stopped before it finished: the server closed the connection without an answer (is that the Airlock server's port?)",
      ),
    )
})
program.parseAsync(process.argv).then(() => {
  finished = true
}, exitWith)
