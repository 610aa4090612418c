// POST /v2/snaps/refresh (spec §4): install, download and refresh actions resolved against the
// index, fetch-assertions against the assertion store; one result per action, matched by key.
import type { FastifyInstance } from 'fastify'
import { resolveSnapActions } from '../../catalog/snap-select.js'
import { resolveFetchAssertions } from '../../catalog/snap-assertions.js'
import { DerivedCache } from '../../catalog/derived-cache.js'
import type { IndexedRevision } from '../../catalog/index.js'
import { joinBytes } from '../../http/join-bytes.js'
import { assertionUrl, foundResultHead, foundResultTail, publicBase, refreshResultWire } from '../to-wire.js'
import { BadRequest, deviceOf, parseRefreshRequest } from '../refresh-request.js'
import { sendError, type SnapStoreDeps } from '../plugin.js'

/** Bytes of cached `snap` JSON (~3 KB a revision with its snap-yaml: ~10,000 revisions). */
const MAX_CACHED_SNAP_BYTES = 32 << 20

export async function refreshRoute(app: FastifyInstance, deps: SnapStoreDeps): Promise<void> {
  // A result's `snap` object is a function of the package object (replaced whenever the package is
  // reloaded), the revision and its snap-yaml (both immutable) and the public URL base (known once
  // the server listens): its JSON is kept per revision, for that package object, with its base.
  const snaps = new DerivedCache<IndexedRevision, CachedSnap>(MAX_CACHED_SNAP_BYTES, (c) => c.bytes.length)
  app.post('/snaps/refresh', { bodyLimit: 16 << 20 }, async (req, reply) => {
    let parsed
    try { parsed = parseRefreshRequest(req.body) } catch (err) {
      if (err instanceof BadRequest) return sendError(reply, 400, 'invalid-request', err.message)
      throw err
    }
    const device = deviceOf(req)
    // snapd always sends Snap-Device-Architecture; a bare client that does not gets amd64 builds.
    const env = { architecture: device.architecture ?? 'amd64', series: device.series }
    const outcomes = resolveSnapActions(deps.view.index, parsed.contexts, parsed.actions, env)
    // The answer's parts in order: each result's head (or whole JSON) then its cached `snap` bytes.
    // Only revisions not cached yet wait for their snap-yaml.
    const base = publicBase(deps.urls)
    const parts = new Array<string | Buffer>(2 * outcomes.length + 1)
    parts[0] = '{"results":['
    let misses: Array<Promise<void>> | undefined
    outcomes.forEach((o, i) => {
      const at = 2 * i + 1
      const sep = i > 0 ? ',' : ''
      if (o.kind !== 'found') { parts[at] = sep + JSON.stringify(refreshResultWire(deps.urls, o, undefined)); parts[at + 1] = ''; return }
      parts[at] = sep + foundResultHead(o)
      const hit = snaps.get(o.revision, o.pkg)
      if (hit && hit.base === base) { parts[at + 1] = hit.bytes; return }
      (misses ??= []).push(deps.view.revisionTexts(o.pkg.id, o.revision.revision).then((texts) => {
        const c = { base: publicBase(deps.urls), bytes: Buffer.from(foundResultTail(deps.urls, o.pkg, o.revision, texts?.snapYaml)) }
        // A revision without texts may get them later (CatalogView does not cache a miss either).
        if (texts) snaps.set(o.revision, o.pkg, c)
        parts[at + 1] = c.bytes
      }))
    })
    if (misses) await Promise.all(misses)
    let count = outcomes.length
    for (const f of parsed.fetches) {
      const r = await resolveFetchAssertions(deps.assertions, f.refs, parsed.maxFormats)
      parts.push((count++ > 0 ? ',' : '') + JSON.stringify({
        result: 'fetch-assertions', key: f.key,
        'assertion-stream-urls': r.found.map((a) => assertionUrl(deps.urls, a.type, a.key)),
        ...(r.errors.length > 0 ? {
          'error-list': r.errors.map((e) => ({
            code: e.code, message: e.message, type: e.type,
            ...(e.sequenceKey ? { 'sequence-key': e.sequenceKey } : { 'primary-key': e.primaryKey ?? [] }),
          })),
        } : {}),
      }))
    }
    parts.push('],"error-list":[]}')
    return reply.type('application/json').send(joinBytes(parts))
  })
}

interface CachedSnap {
  /** The public URL base the download URL in it was made with. */
  readonly base: string
  /** The `snap` object's JSON and the `}` closing its result. */
  readonly bytes: Buffer
}
