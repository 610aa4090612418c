// `airlock list-images` and `airlock push-images`: what the site registry must hold, and putting it
// there from image archives carried across the air gap (docs/oci-images.md).
import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import type { ImagesResponse } from '../../admin/routes/images.js'
import { localImageReference } from '../../catalog/oci-image.js'
import { formatBytes } from '../../config/size.js'
import { parseImageReference } from '../../import/oci-resource.js'
import type { WantedImage } from '../../oci/plan.js'
import { pushArchives, type RunReport } from '../../oci/run.js'
import { CliError, getJson, resolveClient } from '../admin-client.js'
import { progressBar } from '../output.js'
import { adminFlags, type AdminFlags } from './flags.js'

// Without a domain the server serves the export's ImageName unchanged, so Juju would pull from the
// upstream registry, which an air-gapped cluster cannot reach: that is a set-up error, not a list.
const NO_DOMAIN = 'the server has no OCI registry configured (oci-registry.domain / AIRLOCK_OCI_REGISTRY_DOMAIN), ' +
  'so Juju is sent to the upstream registries; set it and restart the server'


function wantedImages(body: ImagesResponse, registry: string | undefined): WantedImage[] {
  const byTarget = new Map<string, WantedImage>()
  for (const i of body.images) {
    const target = registry ? localImageReference(i.original, registry) : i.local
    if (!target) throw new CliError(`${NO_DOMAIN}, or pass --registry HOST[:PORT]`)
    const ref = parseImageReference(target)
    if (!ref?.domain) throw new CliError(`cannot push ${i.original}: ${JSON.stringify(target)} is not a reference with a registry host`)
    const prev = byTarget.get(target)
    const resources = [...(prev?.resources ?? []), ...i.resources.map((r) => ({ charm: r.charm, resource: r.resource, revision: r.revision }))]
    byTarget.set(target, { original: i.original, target, registry: ref.domain, repository: ref.path, digest: ref.digest ?? null, tag: ref.tag ?? null, resources })
  }
  return [...byTarget.values()]
}

function render(r: RunReport): string {
  const lines: string[] = []
  for (const p of r.pushed) lines.push(`pushed     ${p.reference}  from ${p.archive} (${p.uploaded} blob(s) uploaded, ${formatBytes(p.bytes)}; ${p.skipped + p.mounted} already there)`)
  for (const p of r.present) lines.push(`present    ${p.reference}  already in the registry`)
  for (const m of r.missing) lines.push(`missing    ${m.reference}  in no archive given (wanted by ${m.resources.map((x) => `${x.charm}/${x.resource} revision ${x.revision}`).join(', ')})`)
  for (const n of r.notNamed) lines.push(`not named  ${n.archive} ${n.digest}${n.names.length ? ` (${n.names.join(', ')})` : ''}: no oci-image resource names this digest; not pushed`)
  for (const f of r.failed) lines.push(`failed     ${f.error}`)
  lines.push(`${r.pushed.length} pushed, ${r.present.length} already present, ${r.missing.length} still missing, ${r.notNamed.length} not named by any resource, ${r.failed.length} failed`)
  return lines.join('\n') + '\n'
}

export function registerImages(program: Command): void {
  adminFlags(program.command('list-images').description('every image the site registry must hold: <original reference> TAB <local reference>'))
    .option('--json', 'machine-readable output')
    .action(async (flags: AdminFlags & { json?: boolean }) => {
      const body = await getJson<ImagesResponse>(resolveClient(flags), '/admin/v1/images')
      if (flags.json) process.stdout.write(JSON.stringify(body, null, 2) + '\n')
      if (body.registry.domain === null && body.images.length > 0) throw new CliError(NO_DOMAIN)
      if (!flags.json) process.stdout.write(body.images.map((i) => `${i.original}\t${i.local}\n`).join(''))
    })

  adminFlags(program.command('push-images').description('push OCI image-layout and docker save archives to the site registry, for the images oci-image resources name'))
    .argument('<archive...>', 'image archives (skopeo copy ... oci-archive:X.tar, or docker save)')
    .option('--registry <host[:port]>', 'registry to push to (default: the server\'s oci-registry.domain)')
    .option('--insecure', 'plain http to the registry')
    .option('--ca-file <file>', 'extra CA certificate (PEM) for the registry\'s https')
    .option('--json', 'machine-readable output')
    .action(async (archives: string[], flags: AdminFlags & { registry?: string; insecure?: boolean; caFile?: string; json?: boolean }) => {
      if (flags.registry !== undefined && !/^[A-Za-z0-9.-]+(:\d+)?(\/[a-z0-9._/-]+)?$/.test(flags.registry)) {
        throw new CliError(`invalid --registry ${JSON.stringify(flags.registry)}: expected HOST[:PORT] (no scheme; --insecure for plain http)`, 2)
      }
      let ca: Buffer | undefined
      if (flags.caFile) {
        try { ca = readFileSync(flags.caFile) } catch (err) { throw new CliError(`--ca-file ${flags.caFile}: cannot read it (${(err as NodeJS.ErrnoException).code})`, 2) }
      }
      const body = await getJson<ImagesResponse>(resolveClient(flags), '/admin/v1/images')
      const report = await pushArchives(wantedImages(body, flags.registry), archives, {
        insecure: flags.insecure === true, ca,
        username: process.env.AIRLOCK_OCI_REGISTRY_USERNAME || undefined, password: process.env.AIRLOCK_OCI_REGISTRY_PASSWORD,
        progress: flags.json ? undefined : progressBar,
      })
      process.stdout.write(flags.json ? JSON.stringify(report, null, 2) + '\n' : render(report))
      if (report.failed.length) throw new CliError(`${report.failed.length} image(s) or archive(s) failed; see above`)
    })
}
