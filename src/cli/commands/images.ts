// `airlock list-images` and `airlock push-images`: what the site registry must hold, and putting it
// there from image archives carried across the air gap (docs/oci-images.md).
import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import type { ImagesResponse } from '../../admin/routes/images.js'
import { CliError, getJson, resolveClient } from '../admin-client.js'
import { adminFlags, type AdminFlags } from './flags.js'
import { NO_DOMAIN } from '../no-registry.js'

export function registerImages(program: Command): void {
  adminFlags(
    program.command('list-images').description('every image the site registry must hold: <original reference> TAB <local reference>'),
  )
    .option('--json', 'machine-readable output')
    .action(async (flags: AdminFlags & { json?: boolean }) => {
      const body = await getJson<ImagesResponse>(resolveClient(flags), '/admin/v1/images')
      if (flags.json) process.stdout.write(JSON.stringify(body, null, 2) + '\n')
      if (body.registry.domain === null && body.images.length > 0) throw new CliError(NO_DOMAIN)
      if (!flags.json) process.stdout.write(body.images.map((i) => `${i.original}\t${i.local}\n`).join(''))
    })

  adminFlags(
    program
      .command('push-images')
      .description('push OCI image-layout and docker save archives to the site registry, for the images oci-image resources name'),
  )
    .argument('<archive...>', 'image archives (skopeo copy ... oci-archive:X.tar, or docker save)')
    .option('--registry <host[:port]>', "registry to push to (default: the server's oci-registry.domain)")
    .option('--insecure', 'plain http to the registry')
    .option('--ca-file <file>', "extra CA certificate (PEM) for the registry's https")
    .option('--json', 'machine-readable output')
    .action(async (archives: string[], flags: AdminFlags & { registry?: string; insecure?: boolean; caFile?: string; json?: boolean }) => {
      if (flags.registry !== undefined && !/^[A-Za-z0-9.-]+(:\d+)?(\/[a-z0-9._/-]+)?$/.test(flags.registry)) {
        throw new CliError(
          `invalid --registry ${JSON.stringify(flags.registry)}: expected HOST[:PORT] (no scheme; --insecure for plain http)`,
          2,
        )
      }
      let ca: Buffer | undefined
      if (flags.caFile) {
        try {
          ca = readFileSync(flags.caFile)
        } catch (err) {
          throw new CliError(`--ca-file ${flags.caFile}: cannot read it (${(err as NodeJS.ErrnoException).code})`, 2)
        }
      }
      const body = await getJson<ImagesResponse>(resolveClient(flags), '/admin/v1/images')
      const { pushImages } = await import('../push-images.js')
      const report = await pushImages(body, archives, {
        registry: flags.registry,
        insecure: flags.insecure === true,
        ca,
        json: flags.json === true,
      })
      if (report.failed.length) throw new CliError(`${report.failed.length} image(s) or archive(s) failed; see above`)
    })
}
