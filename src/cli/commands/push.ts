import { basename } from 'node:path'
import type { Command } from 'commander'
import type { ImportReport } from '../../import/import-service.js'
import { CliError, resolveClient, uploadFile } from '../admin-client.js'
import { describeRevision, progressBar } from '../output.js'
import { adminFlags, type AdminFlags } from './flags.js'

async function pushAll(files: string[], flags: AdminFlags & { json?: boolean }, path: (f: string) => string): Promise<void> {
  const client = resolveClient(flags)
  const reports: Array<ImportReport | { file: string; error: string }> = []
  let failed = 0
  for (const file of files) {
    const bar = progressBar(file)
    try {
      const report = await uploadFile<ImportReport>(client, path(file), file, bar.update)
      bar.stop()
      reports.push({ ...report, file })
      if (!flags.json) {
        process.stdout.write(`${file}:\n`)
        for (const r of report.revisions) process.stdout.write(describeRevision(r).join('\n') + '\n')
      }
    } catch (err) {
      bar.stop()
      if (!(err instanceof CliError) || err.exitCode === 2) throw err
      failed++
      // The server names the upload by its base name; show the path the operator typed instead.
      const base = basename(file)
      const msg = err.message.startsWith(file) ? err.message : err.message.startsWith(`${base}:`) ? file + err.message.slice(base.length) : `${file}: ${err.message}`
      reports.push({ file, error: msg })
      process.stderr.write(`airlock: refused: ${msg}\n`)
    }
  }
  if (flags.json) process.stdout.write(JSON.stringify(reports, null, 2) + '\n')
  if (failed) throw new CliError(`${failed} of ${files.length} file(s) refused; nothing from them was imported`, 1)
}

type PushFlags = AdminFlags & { json?: boolean; pushChannelMap?: boolean }

function pushCommand(program: Command, name: string, description: string, what: string, path: string): void {
  adminFlags(program.command(name).description(description))
    .argument('<file...>', what)
    .option('--push-channel-map', 'move existing channel pointers to the exported revisions')
    .option('--json', 'machine-readable output')
    .action(async (files: string[], flags: PushFlags) => {
      await pushAll(files, flags, () => `${path}${flags.pushChannelMap ? '?push-channel-map=true' : ''}`)
    })
}

export function registerPush(program: Command): void {
  pushCommand(program, 'push-charms', 'side-load `store-admin export charms` tarballs', 'export tarballs', '/admin/v1/charms')
  pushCommand(program, 'push-charm-bundle', 'side-load `store-admin export bundle` tarballs (the bundle and its charms)', 'bundle export tarballs', '/admin/v1/bundles')
}
