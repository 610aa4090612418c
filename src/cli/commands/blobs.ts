import type { Command } from 'commander'
import { CliError } from '../admin-client.js'
import { configFlags } from './serve.js'

type Flags = Record<string, string | undefined> & { config?: string }

/** Prints a result; any problem (one line each on stderr) makes the command exit 1. */
function finish(r: { text: string; problems: readonly string[] }): void {
  for (const p of r.problems) process.stderr.write(`airlock: ${p}\n`)
  process.stdout.write(r.text)
  if (r.problems.length > 0) throw new CliError(`${r.problems.length} blob${r.problems.length === 1 ? '' : 's'} failed`, 1)
}

export function registerBlobs(program: Command): void {
  const blobs = program.command('blobs').description('check or move the blob store (charms, snaps, resources)')
  configFlags(
    blobs.command('verify').description('re-hash every blob in the configured store; exit 1 if any does not match its digest'),
  ).action(async (flags: Flags) => {
    const [{ verifyStore }, { loadConfig }] = await Promise.all([import('../../blob-commands.js'), import('../../config/load.js')])
    finish(await verifyStore(loadConfig({ file: flags.config, flags })))
  })
  configFlags(
    blobs.command('migrate').description('copy every blob into the other store, verifying each; resumable; the source is left as it is'),
  )
    .requiredOption('--to <store>', 'fs or s3: the store to copy into')
    .action(async (flags: Flags & { to: string }) => {
      if (flags.to !== 'fs' && flags.to !== 's3') throw new CliError(`--to must be fs or s3, not ${JSON.stringify(flags.to)}`, 2)
      const [{ migrateStore }, { loadConfig }] = await Promise.all([import('../../blob-commands.js'), import('../../config/load.js')])
      const { to, ...rest } = flags
      finish(await migrateStore(loadConfig({ file: rest.config, flags: rest }), to))
    })
}
