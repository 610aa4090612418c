// POST /admin/v1/charms, /admin/v1/bundles and /admin/v1/snaps (?push-channel-map=true, snaps also
// ?channel=C): one export per request, streamed as multipart.
import type { FastifyInstance } from 'fastify'
import multipart from '@fastify/multipart'
import { InvalidInput } from '../../catalog/errors.js'
import type { Actor } from '../../catalog/operations-ports.js'
import { actorOf } from '../actor.js'
import type { AdminDeps } from '../deps.js'
import type { ImportReport, SnapImportOptions } from '../../import/import-service.js'
import { crashAfterBytes, crashPoint } from '../../crash-points.js'

/** One audit entry per package the push changed; an identical re-push records nothing. */
async function auditPush(deps: AdminDeps, actor: Actor, report: ImportReport): Promise<void> {
  for (const r of report.revisions) {
    if (r.status === 'unchanged') continue
    await deps.operations.audit.writer.record(actor, {
      action: 'push',
      packageType: r.type,
      packageName: r.name,
      packageId: r.id,
      revisions: [r.revision],
      channels: r.released,
      detail: { file: report.file, status: r.status },
    })
  }
  for (const a of report.assertions ?? []) {
    if (a.status === 'unchanged') continue
    await deps.operations.audit.writer.record(actor, { action: 'push', detail: { file: report.file, assertion: `${a.type} ${a.key}` } })
  }
}

const truthy = (v: unknown): boolean => v === 'true' || v === '1' || v === ''

export async function pushRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  await app.register(multipart, { fileHwm: 1 << 20, limits: { files: 1, fileSize: deps.uploadMaxBytes, fields: 10, parts: 12 } })
  type Run = (file: string, input: AsyncIterable<Buffer>, opts: SnapImportOptions) => Promise<ImportReport>
  const route = (path: string, run: (i: AdminDeps['imports']) => Run) =>
    app.post(path, async (req, reply) => {
      const query = req.query as Record<string, unknown>
      const part = await req.file()
      if (!part) throw new InvalidInput({}, 'no file in the upload (multipart field "file")')
      const file = part.filename || 'upload'
      const stream = part.file
      const tooLarge = () =>
        new InvalidInput({ file }, `larger than the upload limit of ${deps.uploadMaxBytes} bytes (limits.upload-max-bytes)`)
      // An upload cut short commits nothing: the import checks this signal before and inside its
      // transaction, and the input below fails at the cut instead of ending as if complete.
      const cut = new AbortController()
      stream.once('limit', () => cut.abort(tooLarge()))
      const onClose = () => {
        if (!req.raw.complete) cut.abort(new InvalidInput({ file }, 'the upload was cut short: the client closed the connection'))
      }
      req.raw.once('close', onClose)
      const input = (async function* () {
        // Not failing mid-loop: leaving `for await` early destroys the stream, and then the rest of
        // the request could not be drained for the answer.
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          crashAfterBytes(chunk.length)
          yield chunk
        }
        if (stream.truncated) throw tooLarge()
        cut.signal.throwIfAborted()
      })()
      crashPoint('upload-start')
      try {
        const report = await run(deps.imports).call(deps.imports, file, input, {
          pushChannelMap: truthy(query['push-channel-map']),
          channel: typeof query.channel === 'string' ? query.channel : undefined,
          signal: cut.signal,
        })
        // The import has committed: a failed audit write is logged, not turned into a failed push.
        await auditPush(deps, actorOf(req), report).catch((err: unknown) =>
          req.log.error({ err }, 'recording the push in the audit trail failed'),
        )
        return reply.send(report)
      } catch (err) {
        // Read the rest of the upload so the client sees our answer, not a reset connection.
        stream.resume()
        await new Promise((r) => {
          if (stream.readableEnded) r(undefined)
          else {
            stream.once('end', r)
            stream.once('error', r)
          }
        })
        if (stream.truncated) throw tooLarge()
        throw err
      } finally {
        req.raw.off('close', onClose)
      }
    })
  route('/charms', (i) => i.importCharmExport)
  route('/bundles', (i) => i.importBundleExport)
  route('/snaps', (i) => i.importSnapExport)
  route('/assertions', (i) => i.importAssertions)
}
