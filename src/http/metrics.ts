// What the store is doing, in Prometheus' text format (GET /metrics). Counting on the request path
// is a few additions into plain arrays kept per route pattern and status (request-counts.ts), found
// through the route's config object; everything else (catalog sizes, blob store bytes and free
// space, cache hit counts, the database) is read when Prometheus scrapes.
// Label values come from fixed sets (route patterns, status codes, kinds, cache names), never from
// a request: a new package name or URL never makes a new series.
import { statfs } from 'node:fs/promises'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { CatalogView } from '../catalog/catalog-view.js'
import type { PackageType } from '../catalog/model.js'
import { blobKey, revisionBlobKeys } from '../catalog/packed-revisions.js'
import { RequestCounts, type RouteCounts } from './request-counts.js'

export type BlobKind = 'charm' | 'resource' | 'bundle' | 'snap'
/** Counters of blob bytes served, one per kind. */
export type ServedBytes = Readonly<Record<BlobKind, (bytes: number) => void>>
export type ImportKind = 'charm' | 'bundle' | 'snap' | 'assertions'
export type ImportOutcome = 'ok' | 'refused' | 'failed'

/** The route label of requests no route matched. */
export const UNMATCHED_ROUTE = 'unmatched'

export interface MetricsSources {
  readonly view: CatalogView
  /** The data directory, which holds the blobs: its filesystem's free and total bytes are reported. */
  readonly blobDir: string
  /** Resolves when the database answers. */
  readonly ping: () => Promise<void>
}

const kSlot = Symbol('airlock metrics slot')
const PACKAGE_TYPES: readonly PackageType[] = ['charm', 'bundle', 'snap']
const PING_TIMEOUT_MS = 2000

/**
 * The matched route's config object (undefined when none matched). `req.routeOptions` builds a
 * dozen-field object on every read; the route context behind it is read directly when Fastify
 * keeps it where it does today (an own property under its 'fastify.context' symbol), else through
 * the getter. Looked for once (null: not found).
 */
let kRouteContext: symbol | null | undefined
function routeConfig(req: FastifyRequest): object | undefined {
  if (kRouteContext === undefined)
    kRouteContext = Object.getOwnPropertySymbols(req).find((s) => s.description === 'fastify.context') ?? null
  const context = kRouteContext ? (req as unknown as Record<symbol, { config?: object } | undefined>)[kRouteContext] : undefined
  return context ? context.config : (req.routeOptions.config as object | undefined)
}

export class ServerMetrics {
  readonly registry = new Registry()
  private readonly counts = new RequestCounts([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 120])
  private readonly routes: RouteCounts[] = []
  private readonly unmatched: RouteCounts
  private readonly bytes: Counter<'kind'>
  private readonly imports: Counter<'kind' | 'outcome'>
  private readonly importSeconds: Histogram<'kind'>
  /** Catalogued blob bytes, worked out again only when the index changed. */
  private blobBytes = { generation: -1, bytes: 0 }

  constructor(private readonly sources: MetricsSources) {
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry })
    this.unmatched = this.newRoute(UNMATCHED_ROUTE)
    for (const m of this.counts.metrics(() => this.routes, {
      total: 'airlock_http_requests_total',
      totalHelp: 'HTTP requests answered, by route pattern and status.',
      duration: 'airlock_http_request_duration_seconds',
      durationHelp: 'Time from request to the last byte of the answer, by route pattern and status.',
    }))
      this.registry.registerMetric(m as unknown as Counter)
    this.bytes = new Counter({
      name: 'airlock_bytes_served_total',
      help: 'Blob bytes written to clients, by kind.',
      labelNames: ['kind'],
      registers,
    })
    for (const k of ['charm', 'resource', 'bundle', 'snap'] as const) this.bytes.inc({ kind: k }, 0)
    this.imports = new Counter({
      name: 'airlock_imports_total',
      help: 'Imports (push-charms, push-bundle, push-snap, push-assertions) by kind and outcome.',
      labelNames: ['kind', 'outcome'],
      registers,
    })
    this.importSeconds = new Histogram({
      name: 'airlock_import_duration_seconds',
      help: 'Time an import took, upload included, by kind.',
      labelNames: ['kind'],
      registers,
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    })
    for (const kind of ['charm', 'bundle', 'snap', 'assertions'] as const) {
      for (const outcome of ['ok', 'refused', 'failed'] as const) this.imports.inc({ kind, outcome }, 0)
    }
    const view = sources.view
    new Gauge({
      name: 'airlock_catalog_packages',
      help: 'Packages in the catalog, by type.',
      labelNames: ['type'],
      registers,
      collect() {
        const counts = new Map<PackageType, number>(PACKAGE_TYPES.map((t) => [t, 0]))
        for (const p of view.index.all()) counts.set(p.type, (counts.get(p.type) ?? 0) + 1)
        for (const [type, n] of counts) this.set({ type }, n)
      },
    })
    new Gauge({
      name: 'airlock_catalog_revisions',
      help: 'Package revisions in the catalog, by type.',
      labelNames: ['type'],
      registers,
      collect() {
        const counts = new Map<PackageType, number>(PACKAGE_TYPES.map((t) => [t, 0]))
        for (const p of view.index.all()) counts.set(p.type, (counts.get(p.type) ?? 0) + p.revisions.size)
        for (const [type, n] of counts) this.set({ type }, n)
      },
    })
    const blobBytes = (): number => this.catalogBlobBytes()
    new Gauge({
      name: 'airlock_blob_store_bytes',
      help: 'Bytes of the distinct blobs the catalog refers to (packages and resources).',
      registers,
      collect() {
        this.set(blobBytes())
      },
    })
    // Each gauge asks the filesystem itself: gauges are collected side by side, not in turn.
    const fsGauge = (name: string, help: string, pick: (s: { blocks: number; bavail: number; bsize: number }) => number): void => {
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          // Not there yet (nothing stored) or unreadable: the last value stays.
          const s = await statfs(sources.blobDir).catch(() => undefined)
          if (s) this.set(pick(s))
        },
      })
    }
    fsGauge(
      'airlock_blob_store_free_bytes',
      "Bytes free for unprivileged writes on the blob store's filesystem.",
      (s) => s.bavail * s.bsize,
    )
    fsGauge('airlock_blob_store_size_bytes', "Total bytes of the blob store's filesystem.", (s) => s.blocks * s.bsize)
    new Gauge({
      name: 'airlock_database_up',
      help: '1 when the database answered a ping while this scrape ran, else 0.',
      registers,
      async collect() {
        let timer: NodeJS.Timeout | undefined
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('database timeout')), PING_TIMEOUT_MS)
        })
        try {
          await Promise.race([sources.ping(), timeout])
          this.set(1)
        } catch {
          this.set(0)
        } finally {
          clearTimeout(timer)
        }
      },
    })
    // Hit counts live as plain numbers next to the caches (catalog/cache-stats.ts): copied here on scrape.
    const copyCounts = (which: 'hits' | 'misses') =>
      function (this: Counter<'cache'>): void {
        this.reset()
        for (const [cache, c] of view.caches.entries()) this.inc({ cache }, c[which])
      }
    new Counter({
      name: 'airlock_cache_hits_total',
      help: 'Lookups an answer cache answered, by cache.',
      labelNames: ['cache'],
      registers,
      collect: copyCounts('hits'),
    })
    new Counter({
      name: 'airlock_cache_misses_total',
      help: 'Lookups an answer cache could not answer, by cache.',
      labelNames: ['cache'],
      registers,
      collect: copyCounts('misses'),
    })
  }

  /** Counts one answered request (AccessLog calls it for every request, hijacked ones included). */
  readonly observeRequest = (req: FastifyRequest, reply: FastifyReply): void => {
    const config = routeConfig(req) as (Record<symbol, RouteCounts | undefined> & { url?: string }) | undefined
    let slot = config?.[kSlot]
    if (!slot) {
      slot = config?.url === undefined ? this.unmatched : this.newRoute(config.url)
      if (config) config[kSlot] = slot
    }
    this.counts.observe(slot, reply.statusCode, reply.elapsedTime / 1000)
  }

  private newRoute(route: string): RouteCounts {
    // One per route pattern: Fastify keeps one config object per registered route (and method).
    const existing = this.routes.find((r) => r.route === route)
    if (existing) return existing
    const r = this.counts.route(route)
    this.routes.push(r)
    return r
  }

  /** A counter of bytes served for blobs of this kind (resolved once; call it per chunk written). */
  served(kind: BlobKind): (bytes: number) => void {
    const child = this.bytes.labels({ kind })
    return (n) => child.inc(n)
  }

  /** The bytes-served counters of every kind, for the download routes. */
  servedBytes(): ServedBytes {
    return { charm: this.served('charm'), resource: this.served('resource'), bundle: this.served('bundle'), snap: this.served('snap') }
  }

  importFinished(kind: ImportKind, outcome: ImportOutcome, seconds: number): void {
    this.imports.inc({ kind, outcome })
    this.importSeconds.observe({ kind }, seconds)
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() }
  }

  private catalogBlobBytes(): number {
    const index = this.sources.view.index
    if (this.blobBytes.generation === index.generation) return this.blobBytes.bytes
    const seen = new Set<string>()
    let bytes = 0
    const add = (key: string, size: number): void => {
      if (!seen.has(key)) {
        seen.add(key)
        bytes += size
      }
    }
    // Keyed by blobKey: at a million revisions, a 64-character hex string per revision would be a
    // burst of garbage on every catalog change (revisions are held packed, docs/decisions/0024).
    for (const p of index.all()) {
      for (const [key, size] of revisionBlobKeys(p.revisions)) add(key, size)
      for (const res of p.resources.values()) for (const rr of res.revisions.values()) add(blobKey(rr.blob.sha256), rr.blob.size)
    }
    this.blobBytes = { generation: index.generation, bytes }
    return bytes
  }
}
