// `airlock export charms|bundle|snaps`: the internet side of the air gap. Talks to a Charmhub or Snap
// Store API directly (no Airlock server, no token) and writes the tarballs push-* reads.
import type { Command } from 'commander'
import { loadTrustedRoots } from '../../assertions/roots.js'
import { parseChannel } from '../../catalog/channel.js'
import { InvalidInput } from '../../catalog/errors.js'
import { SILENT, type ExportOptions, type ExportResult, type Progress } from '../../export/common.js'
import { ExportError, shown } from '../../export/errors.js'
import { exportBundle, exportCharms, DEFAULT_BASE } from '../../export/export-charms.js'
import { exportSnaps, type SnapWant } from '../../export/export-snaps.js'
import { readSnapsYaml } from '../../export/snaps-yaml.js'
import { DEFAULT_HTTP, parseUrl } from '../../export/http.js'
import { abandonAll } from '../../export/staging.js'
import { CliError } from '../admin-client.js'
import { progressBar } from '../output.js'

const CHARMHUB = 'https://api.charmhub.io'
const SNAP_STORE = 'https://api.snapcraft.io'

interface CommonFlags {
  from?: string
  exportDir: string
  json?: boolean
  concurrency: string
  retries: string
}

const collect = (v: string, prev: string[] = []) => [...prev, v]

function common(cmd: Command, defaultFrom: string): Command {
  return cmd
    .option('--from <url>', `the store API to export from (default ${defaultFrom})`)
    .option('--export-dir <dir>', 'where the tarballs are written', '.')
    .option('--concurrency <n>', 'downloads at a time', '4')
    .option('--retries <n>', 'tries per request on timeouts, lost connections, 429 and 5xx', String(DEFAULT_HTTP.attempts))
    .option('--json', 'machine-readable output')
}

function usage(message: string): never {
  throw new CliError(message, 2)
}

function options(flags: CommonFlags, defaultFrom: string): ExportOptions {
  const from = (flags.from ?? defaultFrom).replace(/\/+$/, '')
  try {
    parseUrl(from)
  } catch {
    usage(`--from ${JSON.stringify(flags.from)} is not an http(s) URL`)
  }
  const concurrency = Number(flags.concurrency)
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
    usage(`--concurrency ${JSON.stringify(flags.concurrency)} is not a number from 1 to 64`)
  const attempts = Number(flags.retries)
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 20)
    usage(`--retries ${JSON.stringify(flags.retries)} is not a number from 1 to 20`)
  return {
    from,
    exportDir: flags.exportDir,
    concurrency,
    http: { ...DEFAULT_HTTP, attempts },
    progress: flags.json ? SILENT : terminalProgress(),
  }
}

function terminalProgress(): Progress {
  let bar: ReturnType<typeof progressBar> | undefined
  let total = 0
  let got = 0
  return {
    start(n) {
      bar?.stop()
      total = n
      got = 0
      bar = progressBar('export')
    },
    add(n) {
      got += n
      bar?.update(got, total)
    },
    say(line) {
      process.stderr.write(`${shown(line)}\n`)
    },
    stop() {
      bar?.stop()
      bar = undefined
    },
  }
}

function checkChannel(c: string, flag = '--channel'): string {
  if (!parseChannel(c)) usage(`${flag} ${JSON.stringify(c)} is not a channel ([track/]risk[/branch], e.g. latest/stable)`)
  return c
}

function checkArch(a: string): string {
  if (!/^[a-z0-9]+$/.test(a)) usage(`--arch ${JSON.stringify(a)} is not an architecture (e.g. amd64, arm64)`)
  return a
}

/** Runs an export with SIGINT/SIGTERM removing whatever it had staged, then prints what it wrote. */
async function run(json: boolean | undefined, work: () => Promise<ExportResult>): Promise<void> {
  const onSignal = (sig: NodeJS.Signals) => {
    abandonAll()
    process.stderr.write(`airlock: export interrupted (${sig}); no tarball was written\n`)
    process.exit(sig === 'SIGINT' ? 130 : 143)
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  let result: ExportResult
  try {
    result = await work()
  } catch (err) {
    if (err instanceof ExportError) throw new CliError(shown(err.message), err.exitCode)
    if (err instanceof CliError) throw err
    if (err instanceof InvalidInput) throw new CliError(shown(err.message), 1)
    throw new CliError(`export failed: ${shown((err as Error).message ?? String(err))}`, 1)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  if (json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n')
    return
  }
  for (const p of result.packages) {
    const where = [p.channel, p.base ?? p.architecture].filter(Boolean).join(', ')
    const res = p.resources?.length
      ? `; resources ${p.resources.map((r) => `${r.name} (${r.type}) revision ${r.revision}`).join(', ')}`
      : ''
    process.stdout.write(shown(`${p.type} ${p.name} revision ${p.revision}${where ? ` (${where})` : ''}${res}`) + '\n')
  }
  for (const f of result.files) process.stdout.write(`wrote ${shown(f)}\n`)
}

function parseBase(b: string, arch: string): { name: string; channel: string; architecture: string } {
  const m = /^([a-z]+)@(\d+\.\d+)$/.exec(b)
  if (!m) usage(`--base ${JSON.stringify(b)} is not a base (e.g. ubuntu@22.04)`)
  return { name: m[1]!, channel: m[2]!, architecture: arch }
}

/** Publisher account assertions live in the Snap Store's assertion service, not on Charmhub. */
function assertionsFrom(from: string, flag: string | undefined): string {
  if (flag) return flag.replace(/\/+$/, '')
  return from === CHARMHUB ? SNAP_STORE : from
}

export function registerExport(program: Command): void {
  const exp = program
    .command('export')
    .description('write store-admin-compatible export tarballs from a Charmhub or Snap Store API (no server, no token)')

  common(
    exp
      .command('charms')
      .description('export the charms a CHARMS.yaml (or a bundle.yaml) names, with their resources: charms-export-<ts>.tar.gz'),
    CHARMHUB,
  )
    .argument('<charms-yaml>', 'applications: {<app>: {charm, channel, series|base, resources}}')
    .option('--assertions-from <url>', `where publisher account assertions come from (default ${SNAP_STORE} for Charmhub, else --from)`)
    .action(async (file: string, flags: CommonFlags & { assertionsFrom?: string }) => {
      const opts = options(flags, CHARMHUB)
      await run(flags.json, () => exportCharms(file, { ...opts, assertionsFrom: assertionsFrom(opts.from, flags.assertionsFrom) }))
    })

  common(exp.command('bundle').description('export a bundle and its charms: <bundle>-<ts>.tar.gz'), CHARMHUB)
    .argument('<name>', 'the bundle')
    .option('--channel <channel>', 'channel to resolve the bundle from', 'stable')
    .option('--base <base>', 'base for charms the bundle gives none (e.g. ubuntu@22.04)', 'ubuntu@22.04')
    .option('--arch <arch>', 'architecture of the charms', DEFAULT_BASE.architecture)
    .option('--assertions-from <url>', `where publisher account assertions come from (default ${SNAP_STORE} for Charmhub, else --from)`)
    .action(async (name: string, flags: CommonFlags & { channel: string; base: string; arch: string; assertionsFrom?: string }) => {
      const opts = options(flags, CHARMHUB)
      const base = parseBase(flags.base, checkArch(flags.arch))
      await run(flags.json, () =>
        exportBundle(
          name,
          { channel: checkChannel(flags.channel), base },
          { ...opts, assertionsFrom: assertionsFrom(opts.from, flags.assertionsFrom) },
        ),
      )
    })

  common(exp.command('snaps').description('export snaps with their assertions: <name>-<ts>.tar.gz per snap'), SNAP_STORE)
    .argument('[names...]', 'snap names')
    .option('--channel <channel>', 'channel to export from (repeatable; default stable)', collect)
    .option('--arch <arch>', 'architecture to export (repeatable; default amd64)', collect)
    .option('--from-yaml <file>', 'packages: [{name, revision, push_channel}] instead of names')
    .option(
      '--trusted-assertions <files>',
      "extra root account and account-key assertion files the chain may end in, besides Canonical's (env AIRLOCK_TRUSTED_ASSERTIONS)",
    )
    .action(
      async (
        names: string[],
        flags: CommonFlags & { channel?: string[]; arch?: string[]; fromYaml?: string; trustedAssertions?: string },
      ) => {
        const opts = options(flags, SNAP_STORE)
        const archs = (flags.arch ?? ['amd64']).map(checkArch)
        const channels = (flags.channel ?? ['stable']).map((c) => checkChannel(c))
        if (flags.fromYaml && names.length) usage('give snap names or --from-yaml, not both')
        if (!flags.fromYaml && names.length === 0) usage('name at least one snap, or give --from-yaml FILE')
        const files = (flags.trustedAssertions ?? process.env.AIRLOCK_TRUSTED_ASSERTIONS ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
        await run(flags.json, async () => {
          const roots = await loadTrustedRoots(files)
          const wants: SnapWant[] = flags.fromYaml
            ? (await readSnapsYaml(flags.fromYaml)).map((p) => ({
                name: p.name,
                revision: p.revision,
                pushChannel: p.pushChannel,
                architecture: archs[0]!,
              }))
            : names.flatMap((name) => channels.flatMap((channel) => archs.map((architecture) => ({ name, channel, architecture }))))
          return exportSnaps(wants, roots, opts)
        })
      },
    )
}
