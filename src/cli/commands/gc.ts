import type { Command } from 'commander'
import type { GcReport } from '../../gc/collect.js'
import { postJson, resolveClient } from '../admin-client.js'
import { adminFlags, type AdminFlags } from './flags.js'

function render(r: GcReport): string {
  const verb = r.dryRun ? 'would free' : 'freed'
  const lines = [
    `${verb} ${r.blobs} unreferenced blob${r.blobs === 1 ? '' : 's'} (${r.bytes} bytes) and ${r.tempFiles} stale temp file${r.tempFiles === 1 ? '' : 's'} (${r.tempBytes} bytes)`,
  ]
  if (r.skipped > 0) lines.push(`skipped ${r.skipped} blob${r.skipped === 1 ? '' : 's'} an import is using; a later gc takes them`)
  return lines.join('\n') + '\n'
}

export function registerGc(program: Command): void {
  adminFlags(program.command('gc').description('delete blobs no revision references, and stale temp files'))
    .option('--dry-run', 'only report what would be freed')
    .option('--json', 'machine-readable output')
    .action(async (flags: AdminFlags & { dryRun?: boolean; json?: boolean }) => {
      const report = await postJson<GcReport>(resolveClient(flags), `/admin/v1/gc${flags.dryRun ? '?dry-run=true' : ''}`, undefined)
      process.stdout.write(flags.json ? JSON.stringify(report, null, 2) + '\n' : render(report))
    })
}
