// airlock audit [--since 7d]: who changed what, and when.
import type { Command } from 'commander'
import type { AuditRecord } from '../../catalog/operations-ports.js'
import { parseDuration } from '../../config/size.js'
import { CliError, getJson, resolveClient } from '../admin-client.js'
import { safe } from '../output.js'
import { adminFlags, type AdminFlags } from './flags.js'

function line(e: AuditRecord): string {
  const who = `${e.tokenId}${e.tokenName ? ` (${safe(e.tokenName)})` : ''}`
  const parts = [e.at, who, e.action]
  if (e.packageName) parts.push(`${e.packageType ?? ''} ${safe(e.packageName)}`.trim())
  if (e.revisions?.length) parts.push(`revision ${e.revisions.join(',')}`)
  if (e.channels?.length) parts.push(`channels ${e.channels.map(safe).join(', ')}`)
  if (!e.packageName && e.detail && Object.keys(e.detail).length > 0) parts.push(safe(JSON.stringify(e.detail)))
  return parts.join('  ')
}

export function registerAudit(program: Command): void {
  adminFlags(program.command('audit').description('the audit trail: time, token id and name, action, package, revisions, channels'))
    .option('--since <duration>', 'how far back, with s, m, h or d suffix', '7d')
    .option('--json', 'machine-readable output')
    .action(async (flags: AdminFlags & { since: string; json?: boolean }) => {
      const back = parseDuration(flags.since)
      if (back === undefined)
        throw new CliError(`invalid --since ${JSON.stringify(flags.since)}: expected a number with s, m, h or d, such as 7d`, 2)
      const since = new Date(Date.now() - back * 1000).toISOString()
      const res = await getJson<{ entries: AuditRecord[]; truncated: boolean }>(
        resolveClient(flags),
        `/admin/v1/audit?since=${encodeURIComponent(since)}`,
      )
      if (flags.json) {
        process.stdout.write(JSON.stringify(res.entries, null, 2) + '\n')
        return
      }
      process.stdout.write(res.entries.length === 0 ? `nothing since ${since}\n` : res.entries.map(line).join('\n') + '\n')
      if (res.truncated) process.stderr.write('(more entries than shown: narrow --since)\n')
    })
}
