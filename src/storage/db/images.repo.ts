// Read model for `airlock list-images` / `push-images`: every oci-image resource revision, with the
// image reference its export carried (resource_revisions.image_name, written at import time).
import type { ImageResource } from '../../catalog/operations-ports.js'
import type { Db } from './database.js'

/** Ordered by charm name, resource name, revision; rows without an image name are left out. */
export async function listImageResources(db: Db): Promise<ImageResource[]> {
  const rows = await db
    .selectFrom('resource_revisions')
    .innerJoin('packages', 'packages.id', 'resource_revisions.package_id')
    .select([
      'packages.id as charmId',
      'packages.name as charm',
      'resource_revisions.name as resource',
      'resource_revisions.revision',
      'resource_revisions.image_name',
    ])
    .where('resource_revisions.type', '=', 'oci-image')
    .where('resource_revisions.image_name', 'is not', null)
    .orderBy('packages.name')
    .orderBy('resource_revisions.name')
    .orderBy('resource_revisions.revision')
    .execute()
  return rows.map((r) => ({ charmId: r.charmId, charm: r.charm, resource: r.resource, revision: r.revision, imageName: r.image_name! }))
}
