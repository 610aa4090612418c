// GET|HEAD /api/v1/snaps/download/<snap-id>_<rev>.snap (docs/operations.md "Download URLs", docs/protocol/snap-store.md §8): exact size,
// Range for resumed downloads (206), never compressed.
import type { FastifyInstance } from 'fastify'
import { sendBlob } from '../../http/send-blob.js'
import { sendErrorList } from '../../http/error-list.js'
import type { SnapStoreDeps } from '../deps.js'

export async function downloadRoute(app: FastifyInstance, deps: SnapStoreDeps): Promise<void> {
  app.route({
    method: ['GET', 'HEAD'],
    url: '/download/:file',
    handler: async (req, reply) => {
      const { file } = req.params as { file: string }
      const m = /^([A-Za-z0-9]{32})_(\d{1,9})\.snap$/.exec(file)
      const pkg = m ? deps.view.index.byPackageId(m[1]!) : undefined
      const rev = pkg?.type === 'snap' ? pkg.revisions.get(Number(m![2])) : undefined
      if (!pkg || !rev) return sendErrorList(reply, 404, 'not-found', `snap ${file} not found`)
      return sendBlob(deps.blobs, req, reply, {
        sha256: rev.blob.sha256,
        size: rev.blob.size,
        contentType: 'application/octet-stream',
        filename: `${pkg.name}_${rev.revision}.snap`,
        ranges: true,
        served: deps.served?.snap,
      })
    },
  })
}
