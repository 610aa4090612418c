// The catalog web page: GET / (list and search), /charms/NAME, /bundles/NAME, /snaps/NAME, and its
// stylesheet. Server-rendered from the in-memory read model; no scripts, nothing from elsewhere.
// Paths stay clear of the APIs (/v2, /api/v1, /admin/v1, /_status, /metrics).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { parse as parseYaml } from 'yaml'
import type { CatalogView } from '../catalog/catalog-view.js'
import type { IndexedPackage } from '../catalog/index.js'
import type { PackageType } from '../catalog/model.js'
import { localImageReference, type RegistryConfig } from '../catalog/oci-image.js'
import type { PublicUrls } from '../http/public-urls.js'
import { Listing } from './listing.js'
import { errorPage, listPage, packagePage, type PackageExtras } from './pages.js'
import { STYLESHEET } from './style.js'

export interface WebDeps {
  readonly view: CatalogView
  readonly urls: PublicUrls
  readonly registry: RegistryConfig
}

/** Longest query string a page takes; longer ones are refused before any decoding. */
const MAX_QUERY_BYTES = 1024
const MAX_SEARCH_CHARS = 200
const MAX_PAGE = 100_000

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
}

class BadRequest extends Error {}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** The page's query parameters, decoded strictly: bad percent-encoding, control characters or lone surrogates are refused. */
function queryOf(req: FastifyRequest): Map<string, string> {
  const at = req.url.indexOf('?')
  const raw = at < 0 ? '' : req.url.slice(at + 1)
  if (raw.length > MAX_QUERY_BYTES) throw new BadRequest('The query is too long.')
  const out = new Map<string, string>()
  for (const part of raw.split('&')) {
    if (!part) continue
    const eq = part.indexOf('=')
    let key: string
    let value: string
    try {
      key = decodeURIComponent((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' '))
      value = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '))
    } catch {
      throw new BadRequest('The query is not valid percent-encoded text.')
    }
    // eslint-disable-next-line no-control-regex
    if (LONE_SURROGATE.test(value) || /[\u0000-\u001f\u007f]/.test(value))
      throw new BadRequest('The query holds characters a search cannot.')
    if (!out.has(key)) out.set(key, value)
  }
  return out
}

function listParams(q: Map<string, string>): { q: string; type: PackageType | undefined; page: number } {
  const search = (q.get('q') ?? '').trim().normalize('NFC')
  if ([...search].length > MAX_SEARCH_CHARS) throw new BadRequest(`A search is at most ${MAX_SEARCH_CHARS} characters.`)
  const t = q.get('type')
  if (t !== undefined && t !== '' && t !== 'charm' && t !== 'bundle' && t !== 'snap')
    throw new BadRequest('The type is charm, bundle or snap.')
  const p = q.get('page') ?? '1'
  if (!/^\d{1,6}$/.test(p) || Number(p) < 1 || Number(p) > MAX_PAGE) throw new BadRequest('The page is a number from 1.')
  return { q: search, type: t ? (t as PackageType) : undefined, page: Number(p) }
}

export async function webPlugin(app: FastifyInstance, deps: WebDeps): Promise<void> {
  const listing = new Listing(deps.view.index)
  const send = (reply: FastifyReply, status: number, page: string): FastifyReply =>
    reply.code(status).headers(SECURITY_HEADERS).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(page)

  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    if (err instanceof BadRequest) return send(reply, 400, errorPage('Bad request', err.message))
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
      return send(reply, err.statusCode, errorPage('Bad request', 'The address is not one this page understands.'))
    req.log.error({ err }, 'catalog page failed')
    return send(reply, 500, errorPage('Something went wrong', 'The page could not be made; the server log says why.'))
  })

  app.get('/static/airlock.css', (_req, reply) => {
    reply.headers(SECURITY_HEADERS).header('cache-control', 'public, max-age=3600').type('text/css; charset=utf-8').send(STYLESHEET)
  })

  // Browsers ask for it on every page; there is none, and a 404 would show as a console error.
  app.get('/favicon.ico', (_req, reply) => {
    reply.code(204).header('cache-control', 'public, max-age=86400').send()
  })

  app.get('/', (req, reply) => {
    const p = listParams(queryOf(req))
    send(reply, 200, listPage(listing.find(p.q, p.type), p))
  })

  const storeUrl = (): string => deps.urls.storeUrl('').replace(/\/+$/, '')
  const localImage = (imageName: string): string | undefined =>
    deps.registry.registryDomain ? localImageReference(imageName, deps.registry.registryDomain) : undefined

  const notFound = (reply: FastifyReply, type: PackageType, name: string): FastifyReply =>
    send(reply, 404, errorPage('Not found', `There is no ${type} named “${name}” in this store.`))

  const find = (type: PackageType, name: string): IndexedPackage | undefined => {
    const pkg = type === 'snap' ? deps.view.index.snapByName(name) : deps.view.index.charmhubByName(name)
    return pkg?.type === type ? pkg : undefined
  }

  for (const type of ['charm', 'bundle', 'snap'] as const) {
    app.get(`/${type}s/:name`, async (req, reply) => {
      queryOf(req)
      const { name } = req.params as { name: string }
      if (LONE_SURROGATE.test(name)) throw new BadRequest('The name holds characters no package name has.')
      const pkg = find(type, name)
      if (!pkg) return notFound(reply, type, name)
      const extras: PackageExtras = { storeUrl: storeUrl(), localImage, ...(type === 'bundle' ? await bundleContents(deps.view, pkg) : {}) }
      return send(reply, 200, packagePage(pkg, listing.row(pkg), extras))
    })
  }
}

/** The applications of the bundle's newest released (else newest) revision, from its bundle.yaml. */
async function bundleContents(view: CatalogView, pkg: IndexedPackage): Promise<Pick<PackageExtras, 'bundleApps' | 'bundleError'>> {
  const revision = Math.max(...pkg.releases.map((r) => r.revision), ...(pkg.releases.length ? [] : pkg.revisions.keys()))
  const texts = Number.isFinite(revision) ? await view.revisionTexts(pkg.id, revision) : undefined
  if (!texts?.bundleYaml) return { bundleError: 'This bundle has no bundle.yaml.' }
  let doc: unknown
  try {
    doc = parseYaml(texts.bundleYaml)
  } catch {
    return { bundleError: 'Its bundle.yaml does not parse.' }
  }
  const d = doc as Record<string, unknown> | null
  const apps = (d && typeof d === 'object' ? (d.applications ?? d.services) : undefined) as Record<string, unknown> | undefined
  if (!apps || typeof apps !== 'object') return { bundleError: 'Its bundle.yaml lists no applications.' }
  return {
    bundleApps: Object.entries(apps).map(([app, v]) => {
      const a = (v && typeof v === 'object' ? v : {}) as Record<string, unknown>
      const charm = typeof a.charm === 'string' ? a.charm : ''
      const units = typeof a.num_units === 'number' ? a.num_units : typeof a.scale === 'number' ? a.scale : undefined
      return {
        app,
        charm,
        channel: typeof a.channel === 'string' ? a.channel : undefined,
        units,
        inStore: charm !== '' && view.index.charmhubByName(charm)?.type === 'charm',
      }
    }),
  }
}
