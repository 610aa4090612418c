// `airlock push-images`' work, loaded by that command only (the OCI client and the archive readers
// are the heaviest part of the CLI, and no other command needs them).
import type { ImagesResponse } from '../admin/routes/images.js'
import { localImageReference } from '../catalog/oci-image.js'
import { formatBytes } from '../config/size.js'
import { parseImageReference } from '../import/oci-resource.js'
import type { WantedImage } from '../oci/plan.js'
import { pushArchives, type RunReport } from '../oci/run.js'
import { CliError } from './admin-client.js'
import { NO_DOMAIN } from './no-registry.js'
import { progressBar } from './output.js'

function wantedImages(body: ImagesResponse, registry: string | undefined): WantedImage[] {
  const byTarget = new Map<string, WantedImage>()
  for (const i of body.images) {
    const target = registry ? localImageReference(i.original, registry) : i.local
    if (!target) throw new CliError(`${NO_DOMAIN}, or pass --registry HOST[:PORT]`)
    const ref = parseImageReference(target)
    if (!ref?.domain) throw new CliError(`cannot push ${i.original}: ${JSON.stringify(target)} is not a reference with a registry host`)
    const prev = byTarget.get(target)
    const resources = [
      ...(prev?.resources ?? []),
      ...i.resources.map((r) => ({ charm: r.charm, resource: r.resource, revision: r.revision })),
    ]
    byTarget.set(target, {
      original: i.original,
      target,
      registry: ref.domain,
      repository: ref.path,
      digest: ref.digest ?? null,
      tag: ref.tag ?? null,
      resources,
    })
  }
  return [...byTarget.values()]
}

function render(r: RunReport): string {
  const lines: string[] = []
  for (const p of r.pushed)
    lines.push(
      `pushed     ${p.reference}  from ${p.archive} (${p.uploaded} blob(s) uploaded, ${formatBytes(p.bytes)}; ${p.skipped + p.mounted} already there)`,
    )
  for (const p of r.present) lines.push(`present    ${p.reference}  already in the registry`)
  for (const m of r.missing)
    lines.push(
      `missing    ${m.reference}  in no archive given (wanted by ${m.resources.map((x) => `${x.charm}/${x.resource} revision ${x.revision}`).join(', ')})`,
    )
  for (const n of r.notNamed)
    lines.push(
      `not named  ${n.archive} ${n.digest}${n.names.length ? ` (${n.names.join(', ')})` : ''}: no oci-image resource names this digest; not pushed`,
    )
  for (const f of r.failed) lines.push(`failed     ${f.error}`)
  lines.push(
    `${r.pushed.length} pushed, ${r.present.length} already present, ${r.missing.length} still missing, ${r.notNamed.length} not named by any resource, ${r.failed.length} failed`,
  )
  return lines.join('\n') + '\n'
}

/** Pushes the archives' images that `body` asks for; resolves to the report, printed. */
export async function pushImages(
  body: ImagesResponse,
  archives: readonly string[],
  opts: { registry?: string | undefined; insecure: boolean; ca: Buffer | undefined; json: boolean },
): Promise<RunReport> {
  const report = await pushArchives(wantedImages(body, opts.registry), [...archives], {
    insecure: opts.insecure,
    ca: opts.ca,
    username: process.env.AIRLOCK_OCI_REGISTRY_USERNAME || undefined,
    password: process.env.AIRLOCK_OCI_REGISTRY_PASSWORD,
    progress: opts.json ? undefined : progressBar,
  })
  process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : render(report))
  return report
}
