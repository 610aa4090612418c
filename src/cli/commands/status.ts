// airlock status: the server at a glance.
import type { Command } from 'commander'
import { formatBytes } from '../../config/size.js'
import { getJson, resolveClient } from '../admin-client.js'
import { safe } from '../output.js'
import { adminFlags, type AdminFlags } from './flags.js'

interface Status {
  version: string
  database: { kind: string; ok: boolean; ms?: number; error?: string }
  counts: { packages: Record<string, number>; revisions: number; blobs: number; bytes: number } | null
  blobStore: { path: string; freeBytes: number; totalBytes: number } | null
  trustedRoots: Array<{ accountId: string; username: string; keys: string[] }>
  ociRegistryDomain: string | null
  startedAt: string
  uptimeSeconds: number
}

function uptime(s: number): string {
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  return d ? `${d}d ${h}h` : h ? `${h}h ${m}m` : `${m}m ${s % 60}s`
}

function render(s: Status): string {
  const c = s.counts
  return (
    [
      `version:        ${s.version}`,
      `database:       ${s.database.kind}, ${s.database.ok ? `healthy (${s.database.ms} ms)` : `NOT ANSWERING: ${s.database.error}`}`,
      c
        ? `packages:       ${c.packages.charm ?? 0} charms, ${c.packages.bundle ?? 0} bundles, ${c.packages.snap ?? 0} snaps; ${c.revisions} revisions`
        : 'packages:       unknown (database down)',
      c ? `blobs:          ${c.blobs} (${formatBytes(c.bytes)})` : 'blobs:          unknown',
      s.blobStore
        ? `blob store:     ${formatBytes(s.blobStore.freeBytes)} free of ${formatBytes(s.blobStore.totalBytes)} (${safe(s.blobStore.path)})`
        : 'blob store:     free space unknown',
      `trusted roots:  ${s.trustedRoots.map((r) => `${safe(r.accountId)}${r.username ? ` (${safe(r.username)})` : ''}`).join(', ') || 'none'}`,
      `OCI registry:   ${s.ociRegistryDomain ? safe(s.ociRegistryDomain) : 'not configured'}`,
      `uptime:         ${uptime(s.uptimeSeconds)} (since ${s.startedAt})`,
    ].join('\n') + '\n'
  )
}

export function registerStatus(program: Command): void {
  adminFlags(program.command('status').description('server version, database, counts, free space, trusted roots, registry, uptime'))
    .option('--json', 'machine-readable output')
    .action(async (flags: AdminFlags & { json?: boolean }) => {
      const s = await getJson<Status>(resolveClient(flags), '/admin/v1/status')
      process.stdout.write(flags.json ? JSON.stringify(s, null, 2) + '\n' : render(s))
      if (!s.database.ok) process.exitCode = 1
    })
}
