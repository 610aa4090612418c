import type { Command } from 'commander'
import type { ListedPackage } from '../../catalog/operations-ports.js'
import type { PackageDetail } from '../../catalog/operations-ports.js'
import { CliError, getJson, resolveClient } from '../admin-client.js'
import { safe } from '../output.js'
import { adminFlags, type AdminFlags } from './flags.js'

const KINDS = { charms: 'charms', bundles: 'bundles', snaps: 'snaps' } as const

function render(pkgs: readonly ListedPackage[]): string {
  if (pkgs.length === 0) return 'nothing in the store\n'
  const lines: string[] = []
  for (const p of pkgs) {
    lines.push(
      `${p.name}  (${p.type}, id ${p.id}${p.publisher ? `, publisher ${p.publisher['display-name'] || p.publisher.username}` : ''})`,
    )
    for (const r of p.revisions) {
      const res = r.resources.map((x) => `${x.name}:${x.revision}`).join(' ')
      lines.push(
        `  revision ${r.revision}  version ${r.version}  ${r.size} bytes  ${r.bases.map((b) => `${b.name}@${b.channel}/${b.architecture}`).join(' ')}${res ? `  resources ${res}` : ''}`,
      )
    }
    const byChannel = new Map<string, string[]>()
    for (const c of p.channels) {
      const k = `${c.channel} -> ${c.revision}`
      byChannel.set(k, [
        ...(byChannel.get(k) ?? []),
        c.base.name ? `${c.base.name}@${c.base.channel}/${c.base.architecture}` : c.base.architecture,
      ])
    }
    for (const [k, bases] of byChannel) lines.push(`  channel ${k}  (${bases.join(' ')})`)
  }
  return lines.join('\n') + '\n'
}

const slot = (c: { channel: string; base: { name: string; channel: string; architecture: string } }): string =>
  `${safe(c.channel)} ${c.base.name ? `${safe(c.base.name)}@${safe(c.base.channel)}/${safe(c.base.architecture)}` : safe(c.base.architecture)}`

function renderDetail(p: PackageDetail): string {
  const lines = [`${safe(p.name)}  (${p.type}, id ${p.id})`]
  if (p.revisions.length === 0) lines.push('  no revisions')
  for (const r of p.revisions) {
    lines.push(`  revision ${r.revision}  version ${safe(r.version)}  ${r.size} bytes  created ${r.createdAt}`)
    lines.push(
      `    ${p.type === 'snap' ? 'architectures' : 'bases'}: ${r.bases.map((b) => (b.name ? `${safe(b.name)}@${safe(b.channel)}/${safe(b.architecture)}` : safe(b.architecture))).join(', ') || '-'}`,
    )
    if (r.resources.length) lines.push(`    resources: ${r.resources.map((x) => `${safe(x.name)}:${x.revision}`).join(' ')}`)
    lines.push(`    channels now: ${r.channels.map(slot).join(', ') || '-'}`)
    if (r.formerly.length) lines.push(`    channels before: ${r.formerly.map(slot).join(', ')}`)
  }
  return lines.join('\n') + '\n'
}

export function registerList(program: Command): void {
  adminFlags(program.command('list').description('what is in the store: charms, bundles or snaps'))
    .argument('<kind>', 'charms | bundles | snaps')
    .argument('[name]', 'one package: every revision, its bases or architectures, size, and channels now and before')
    .option('--json', 'machine-readable output')
    .action(async (kind: string, name: string | undefined, flags: AdminFlags & { json?: boolean }) => {
      if (!(kind in KINDS)) throw new CliError(`unknown kind ${JSON.stringify(kind)}: expected charms, bundles or snaps`, 2)
      if (name !== undefined) {
        const p = await getJson<PackageDetail>(
          resolveClient(flags),
          `/admin/v1/${KINDS[kind as keyof typeof KINDS]}/${encodeURIComponent(name)}`,
        )
        process.stdout.write(flags.json ? JSON.stringify(p, null, 2) + '\n' : renderDetail(p))
        return
      }
      const body = await getJson<{ packages: ListedPackage[] }>(resolveClient(flags), `/admin/v1/${KINDS[kind as keyof typeof KINDS]}`)
      process.stdout.write(flags.json ? JSON.stringify(body.packages, null, 2) + '\n' : render(body.packages))
    })
}
