// GET /admin/v1/images: the images the site registry must hold, one per distinct ImageName, with the
// local reference Juju will be sent to (the served resource body, docs/protocol/charmhub.md §10).
import type { FastifyInstance } from 'fastify'
import { localImageReference } from '../../catalog/oci-image.js'
import { parseImageReference } from '../../import/oci-resource.js'
import type { AdminDeps } from '../deps.js'

export interface ListedImage {
  /** ImageName as the export carried it. */
  readonly original: string
  /** What Juju is told to pull; null when the server has no oci-registry.domain. */
  readonly local: string | null
  readonly digest: string | null
  readonly tag: string | null
  readonly resources: ReadonlyArray<{ charm: string; charmId: string; resource: string; revision: number }>
}

export interface ImagesResponse {
  readonly registry: { readonly domain: string | null }
  readonly images: readonly ListedImage[]
}

export async function imageRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  app.get('/images', async (): Promise<ImagesResponse> => {
    const domain = deps.registry.registryDomain ?? null
    const byName = new Map<string, ListedImage & { resources: ListedImage['resources'][number][] }>()
    for (const row of await deps.operations.listing.imageResources()) {
      let image = byName.get(row.imageName)
      if (!image) {
        // Import refuses an ImageName that does not parse, so the null branch is for rows from elsewhere.
        const ref = parseImageReference(row.imageName)
        image = {
          original: row.imageName,
          local: domain ? localImageReference(row.imageName, domain) : null,
          digest: ref?.digest ?? null,
          tag: ref?.tag ?? null,
          resources: [],
        }
        byName.set(row.imageName, image)
      }
      image.resources.push({ charm: row.charm, charmId: row.charmId, resource: row.resource, revision: row.revision })
    }
    return { registry: { domain }, images: [...byName.values()] }
  })
}
