// airlock token create / list / revoke: through the admin API, so every token is recorded in the
// database (docs/decisions/0017). create needs a working token already: the server's bootstrap
// token in <data-dir>/admin.token, by default.
import type { Command } from 'commander'
import type { MintedToken } from '../../catalog/admin-tokens.js'
import type { TokenRecord } from '../../catalog/operations-ports.js'
import { parseDuration } from '../../config/size.js'
import { CliError, deleteJson, getJson, postJson, resolveClient } from '../admin-client.js'
import { safe } from '../output.js'
import { adminFlags, type AdminFlags } from './flags.js'

function table(tokens: readonly TokenRecord[]): string {
  if (tokens.length === 0) return 'no tokens\n'
  const rows = tokens.map((t) => [
    t.id,
    safe(t.name) || '-',
    t.createdAt,
    t.expiresAt ?? 'never',
    t.lastUsedAt ?? 'never',
    t.revokedAt ? `revoked ${t.revokedAt}` : '',
  ])
  const head = ['ID', 'NAME', 'CREATED', 'EXPIRES', 'LAST USED', '']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  return (
    [head, ...rows]
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  )
}

export function registerToken(program: Command): void {
  const token = program.command('token').description('admin tokens')
  adminFlags(token.command('create').description('mint an admin token, recorded by the server'))
    .option('--ttl <duration>', 'lifetime, with s, m, h or d suffix', '30d')
    .option('--name <name>', 'a name to know it by in token list and the audit trail')
    .option('--json', 'machine-readable output')
    .action(async (flags: AdminFlags & { ttl: string; name?: string; json?: boolean }) => {
      const ttl = parseDuration(flags.ttl)
      if (ttl === undefined)
        throw new CliError(`invalid --ttl ${JSON.stringify(flags.ttl)}: expected a number with s, m, h or d, such as 30d`, 2)
      const t = await postJson<MintedToken>(resolveClient(flags), '/admin/v1/tokens', {
        ttl,
        ...(flags.name !== undefined ? { name: flags.name } : {}),
      })
      process.stdout.write(
        flags.json ? JSON.stringify({ token: t.token, id: t.id, name: t.name, expires: t.expiresAt }) + '\n' : `${t.token}\n`,
      )
      if (!flags.json) process.stderr.write(`token id ${t.id}${t.name ? ` (${safe(t.name)})` : ''}, expires ${t.expiresAt ?? 'never'}\n`)
    })
  adminFlags(token.command('list').description('every token: id, name, created, expires, last used'))
    .option('--json', 'machine-readable output')
    .action(async (flags: AdminFlags & { json?: boolean }) => {
      const { tokens } = await getJson<{ tokens: TokenRecord[] }>(resolveClient(flags), '/admin/v1/tokens')
      process.stdout.write(flags.json ? JSON.stringify(tokens, null, 2) + '\n' : table(tokens))
    })
  adminFlags(token.command('revoke').description('revoke a token by id: every replica refuses it from then on'))
    .argument('<id>')
    .option('--json', 'machine-readable output')
    .action(async (id: string, flags: AdminFlags & { json?: boolean }) => {
      const res = await deleteJson<{ token: TokenRecord; already: boolean }>(
        resolveClient(flags),
        `/admin/v1/tokens/${encodeURIComponent(id)}`,
      )
      process.stdout.write(
        flags.json
          ? JSON.stringify(res, null, 2) + '\n'
          : `token ${res.token.id}${res.token.name ? ` (${safe(res.token.name)})` : ''} ${res.already ? 'was already revoked' : 'revoked'} at ${res.token.revokedAt}\n`,
      )
    })
}
