// Charm and resource downloads (docs/protocol/charmhub.md §9): byte-exact, Content-Length, HEAD, 200 only (no Range).
import type { FastifyInstance } from 'fastify'
import { sendBlob } from '../../http/send-blob.js'
import { ociServedBody } from '../../catalog/oci-image.js'
import { errorList } from '../../http/error-list.js'
import type { CharmhubDeps } from '../deps.js'

export async function downloadRoutes(app: FastifyInstance, deps: CharmhubDeps): Promise<void> {
  const notFound = (reply: import('fastify').FastifyReply, what: string) =>
    reply
      .code(404)
      .type('application/json')
      .send(errorList('not-found', `${what} not found`))

  app.route({
    method: ['GET', 'HEAD'],
    url: '/charms/download/:file',
    handler: async (req, reply) => {
      const { file } = req.params as { file: string }
      const m = /^([A-Za-z0-9]{32})_(\d{1,9})\.(charm|bundle)$/.exec(file)
      if (!m) return notFound(reply, 'archive')
      const pkg = deps.view.index.byPackageId(m[1]!)
      const rev = pkg && pkg.type !== 'snap' ? pkg.revisions.get(Number(m[2])) : undefined
      if (!pkg || !rev) return notFound(reply, 'archive')
      return sendBlob(deps.blobs, req, reply, {
        sha256: rev.blob.sha256,
        size: rev.blob.size,
        contentType: 'application/octet-stream',
        filename: `${pkg.name}_${rev.revision}.${pkg.type === 'bundle' ? 'bundle' : 'charm'}`,
        served: deps.served?.[pkg.type === 'bundle' ? 'bundle' : 'charm'],
      })
    },
  })

  app.route({
    method: ['GET', 'HEAD'],
    url: '/resources/download/:file',
    handler: async (req, reply) => {
      const { file } = req.params as { file: string }
      const m = /^charm_([A-Za-z0-9]{32})\.(.+)_(\d{1,9})$/.exec(file)
      if (!m) return notFound(reply, 'resource')
      const pkg = deps.view.index.byPackageId(m[1]!)
      const r = pkg?.resources.get(m[2]!)?.revisions.get(Number(m[3]))
      if (!pkg || !r) return notFound(reply, 'resource')
      const rewritten = r.type === 'oci-image' ? ociServedBody(r.imageName, deps.registry) : undefined
      if (rewritten) {
        reply.header('content-type', 'application/octet-stream').header('content-length', String(rewritten.size))
        if (req.method === 'HEAD') return reply.send()
        deps.served?.resource(rewritten.size)
        return reply.send(rewritten.bytes)
      }
      return sendBlob(deps.blobs, req, reply, {
        sha256: r.blob.sha256,
        size: r.blob.size,
        contentType: 'application/octet-stream',
        served: deps.served?.resource,
      })
    },
  })
}
