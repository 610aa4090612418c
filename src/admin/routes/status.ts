// GET /admin/v1/status: what an operator checks first (docs/day-to-day.md).
import type { FastifyInstance } from 'fastify'
import type { AdminDeps } from '../deps.js'

const PING_TIMEOUT_MS = 3000

export async function statusRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  const s = deps.operations.status
  app.get('/status', async () => {
    const started = performance.now()
    let health: { ok: boolean; ms?: number; error?: string }
    try {
      await Promise.race([
        s.ping(),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer in ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS).unref()),
      ])
      health = { ok: true, ms: Math.round((performance.now() - started) * 10) / 10 }
    } catch (err) {
      health = { ok: false, error: (err as Error).message }
    }
    const [counts, space] = await Promise.all([health.ok ? s.counts() : undefined, s.space()])
    return {
      version: s.version,
      database: { kind: s.databaseKind, ...health },
      counts: counts ?? null,
      blobStore: space ?? null,
      trustedRoots: s.trustedRoots,
      ociRegistryDomain: s.registryDomain ?? null,
      startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
      uptimeSeconds: Math.floor(process.uptime()),
    }
  })
}
