import { basename } from 'node:path'
import type { Command } from 'commander'
import type { ImportReport } from '../../import/import-service.js'
import { parseChannel } from '../../catalog/channel.js'
import { stat } from 'node:fs/promises'
import { CliError, fileProblem, resolveClient, uploadFile, type ClientOptions } from '../admin-client.js'
import { describeRevision, progressBar } from '../output.js'
import { explainPairError, groupSnapInputs, uploadPair, type SnapInput } from '../snap-upload.js'
import { adminFlags, type AdminFlags } from './flags.js'

/** One upload: a file as it is, or (push-snap) a `snap download` pair sent as one. */
interface Upload {
  readonly file: string
  send(client: ClientOptions, path: string, onProgress: (sent: number, total: number) => void): Promise<ImportReport>
  /** The server's message, with the paths the operator typed. */
  explain(message: string): string
}

function fileUpload(file: string): Upload {
  return {
    file,
    send: (client, path, onProgress) => uploadFile<ImportReport>(client, path, file, onProgress),
    // The server names the upload by its base name; show the path the operator typed instead.
    explain(msg) {
      const base = basename(file)
      return msg.startsWith(file) ? msg : msg.startsWith(`${base}:`) ? file + msg.slice(base.length) : `${file}: ${msg}`
    },
  }
}

function snapUpload(input: SnapInput): Upload {
  if (input.kind === 'file') return fileUpload(input.file)
  return {
    file: input.snap,
    send: (client, path, onProgress) => uploadPair<ImportReport>(client, path, input, onProgress),
    explain: (msg) => explainPairError(input, msg),
  }
}

async function pushAll(uploads: readonly Upload[], flags: AdminFlags & { json?: boolean }, path: string): Promise<void> {
  const client = resolveClient(flags)
  const reports: Array<ImportReport | { file: string; error: string }> = []
  let failed = 0
  for (const u of uploads) {
    const bar = progressBar(u.file)
    try {
      const report = await u.send(client, path, bar.update)
      bar.stop()
      reports.push({ ...report, file: u.file })
      if (!flags.json) {
        process.stdout.write(`${u.file}:\n`)
        for (const r of report.revisions) process.stdout.write(describeRevision(r).join('\n') + '\n')
        for (const a of report.assertions ?? []) process.stdout.write(`  assertion ${a.type} ${a.key}: ${a.status}\n`)
      }
    } catch (err) {
      bar.stop()
      // Usage errors, and a server that takes nothing now: the remaining files would fare no better.
      if (!(err instanceof CliError) || err.exitCode === 2 || err.serverUnavailable) throw err
      failed++
      const msg = u.explain(err.message)
      reports.push({ file: u.file, error: msg })
      process.stderr.write(`airlock: refused: ${msg}\n`)
    }
  }
  if (flags.json) process.stdout.write(JSON.stringify(reports, null, 2) + '\n')
  if (failed) throw new CliError(`${failed} of ${uploads.length} file(s) refused; nothing from them was imported`, 1)
}

type PushFlags = AdminFlags & { json?: boolean; pushChannelMap?: boolean; channel?: string }

function pushCommand(
  program: Command,
  name: string,
  description: string,
  what: string,
  path: string,
  kind: 'packages' | 'snaps' | 'assertions' = 'packages',
): void {
  const snaps = kind === 'snaps'
  const cmd = adminFlags(program.command(name).description(description))
    .argument('<file...>', what)
    .option('--json', 'machine-readable output')
  if (kind !== 'assertions') cmd.option('--push-channel-map', 'move existing channel pointers to the exported revisions')
  if (snaps) cmd.option('--channel <channel>', 'channel for snaps whose export has no channel map (default latest/stable)')
  cmd.action(async (files: string[], flags: PushFlags) => {
    const query = new URLSearchParams()
    if (flags.pushChannelMap) query.set('push-channel-map', 'true')
    if (flags.channel !== undefined) {
      if (!parseChannel(flags.channel))
        throw new CliError(`--channel ${JSON.stringify(flags.channel)} is not a channel ([track/]risk[/branch], e.g. latest/stable)`, 2)
      query.set('channel', flags.channel)
    }
    // Every file is checked before the first upload: a typo in the last name is a usage error, not a
    // partial push.
    await Promise.all(
      files.map((f) =>
        stat(f).then(
          (st) => {
            if (!st.isFile()) throw new CliError(`${f}: not a regular file`, 2)
          },
          (err: unknown) => {
            throw new CliError(fileProblem(f, err), 2)
          },
        ),
      ),
    )
    const uploads = snaps ? (await groupSnapInputs(files)).map(snapUpload) : files.map(fileUpload)
    await pushAll(uploads, flags, `${path}${query.size ? `?${query}` : ''}`)
  })
}

export function registerPush(program: Command): void {
  pushCommand(program, 'push-charms', 'side-load `store-admin export charms` tarballs', 'export tarballs', '/admin/v1/charms')
  pushCommand(
    program,
    'push-charm-bundle',
    'side-load `store-admin export bundle` tarballs (the bundle and its charms)',
    'bundle export tarballs',
    '/admin/v1/bundles',
  )
  pushCommand(
    program,
    'push-assertions',
    "import a site's store assertion (with its account and account-key) for snapd's proxy.store",
    'assertion files',
    '/admin/v1/assertions',
    'assertions',
  )
  pushCommand(
    program,
    'push-snap',
    'side-load `store-admin export snaps` tarballs and `snap download` pairs (X.snap X.assert)',
    'export tarballs, or .snap and .assert files',
    '/admin/v1/snaps',
    'snaps',
  )
}
