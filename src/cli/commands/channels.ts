// airlock release / close / remove (docs/day-to-day.md).
import type { Command } from 'commander'
import type { ChannelOutcome, RemoveOutcome } from '../../catalog/operations.js'
import { postJson, resolveClient } from '../admin-client.js'
import { safe } from '../output.js'
import { adminFlags, type AdminFlags } from './flags.js'
import { collect, revisionArg, typeFlag } from './options.js'

interface TargetFlags extends AdminFlags {
  type?: string
  base?: string
  arch?: string
  json?: boolean
}

const out = (flags: { json?: boolean }, body: unknown, human: () => string[]) =>
  process.stdout.write(flags.json ? JSON.stringify(body, null, 2) + '\n' : human().join('\n') + '\n')

function describeChanges(verb: string, o: ChannelOutcome): string[] {
  const who = `${o.package.type} ${safe(o.package.name)}`
  if (o.changes.length === 0) return [`${who}: nothing to change (already ${verb})`]
  return [`${who}:`, ...o.changes.map((c) => `  ${safe(c.slot)}: ${c.from ?? 'closed'} -> ${c.to ?? 'closed'}`)]
}

export function registerChannels(program: Command): void {
  adminFlags(program.command('release').description('point channels at a revision already in the store'))
    .argument('<name>')
    .argument('<revision>')
    .argument('<channel...>', '[track/]risk[/branch]')
    .option('--type <type>', 'charm, bundle or snap (needed when a charm and a snap share NAME)')
    .option('--base <base>', 'only this base, such as ubuntu@22.04 (charms)')
    .option('--arch <arch>', 'only this architecture')
    .option('--json', 'machine-readable output')
    .action(async (name: string, revision: string, channels: string[], flags: TargetFlags) => {
      const body = {
        name,
        type: typeFlag(flags.type),
        revision: revisionArg(revision, 'REVISION'),
        channels,
        base: flags.base,
        arch: flags.arch,
      }
      const res = await postJson<ChannelOutcome>(resolveClient(flags), '/admin/v1/release', body)
      out(flags, res, () => describeChanges('released', res))
    })

  adminFlags(program.command('close').description('close channels: clients follow the next more stable risk of the track'))
    .argument('<name>')
    .argument('<channel...>', '[track/]risk[/branch]')
    .option('--type <type>', 'charm, bundle or snap (needed when a charm and a snap share NAME)')
    .option('--base <base>', 'only this base, such as ubuntu@22.04 (charms)')
    .option('--arch <arch>', 'only this architecture')
    .option('--json', 'machine-readable output')
    .action(async (name: string, channels: string[], flags: TargetFlags) => {
      const res = await postJson<ChannelOutcome>(resolveClient(flags), '/admin/v1/close', {
        name,
        type: typeFlag(flags.type),
        channels,
        base: flags.base,
        arch: flags.arch,
      })
      out(flags, res, () => describeChanges('closed', res))
    })

  adminFlags(program.command('remove').description('take revisions (or the whole package) out of the store; their blobs go at the next gc'))
    .argument('<name>')
    .option('--revision <n>', 'a revision to remove (repeat for more; none: the whole package)', collect, [])
    .option('--type <type>', 'charm, bundle or snap (needed when a charm and a snap share NAME)')
    .option('--force', "remove a charm's last revision even though a bundle names it")
    .option('--json', 'machine-readable output')
    .action(async (name: string, flags: TargetFlags & { revision: string[]; force?: boolean }) => {
      const body = {
        name,
        type: typeFlag(flags.type),
        revisions: flags.revision.map((r) => revisionArg(r, '--revision')),
        force: flags.force === true,
      }
      const res = await postJson<RemoveOutcome>(resolveClient(flags), '/admin/v1/remove', body)
      out(flags, res, () => {
        const who = `${res.package.type} ${safe(res.package.name)}`
        if (res.removed.length === 0)
          return [
            `${who}: nothing to remove (already removed${res.alreadyRemoved.length ? `: revision ${res.alreadyRemoved.join(', ')}` : ''})`,
          ]
        return [
          `${who}: removed revision${res.removed.length > 1 ? 's' : ''} ${res.removed.join(', ')}${res.packageRemoved ? ' (the whole package)' : ''}`,
          ...(res.closed.length ? [`  closed: ${res.closed.map(safe).join(', ')}`] : []),
          '  their blobs are freed by the next gc',
        ]
      })
    })
}
