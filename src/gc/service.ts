// Garbage collection as the server runs it: on request (POST /admin/v1/gc), on a schedule
// (gc.interval), and once at start. One run at a time per process; replicas exclude each other
// blob by blob through the lock protocol, so overlapping runs on two replicas are harmless.
import type { Logger } from 'pino'
import { collectGarbage, type GcDeps, type GcReport } from './collect.js'

/**
 * Temp files of writes in progress are left alone for this long: another replica sharing the data
 * dir may still be writing one (a live upload rewrites its file at least every few seconds).
 */
export const TEMP_GRACE_MS = 60 * 60 * 1000

export interface GcService {
  run(opts?: { dryRun?: boolean; tempOlderThanMs?: number }): Promise<GcReport>
  /** Runs every `intervalMs` (0: never) until stop(). */
  schedule(intervalMs: number): void
  stop(): Promise<void>
}

export function createGcService(deps: GcDeps & { readonly log: Logger }): GcService {
  let running: Promise<GcReport> | undefined
  let timer: NodeJS.Timeout | undefined
  const run = async (opts: { dryRun?: boolean; tempOlderThanMs?: number } = {}): Promise<GcReport> => {
    while (running) await running.catch(() => undefined)
    const p = collectGarbage(deps, { dryRun: opts.dryRun, tempOlderThanMs: opts.tempOlderThanMs ?? TEMP_GRACE_MS })
    running = p
    try {
      return await p
    } finally {
      running = undefined
    }
  }
  return {
    run,
    schedule(intervalMs) {
      if (intervalMs <= 0) return
      timer = setInterval(() => {
        run().catch((err: unknown) => deps.log.error({ module: 'gc', err }, 'scheduled gc failed'))
      }, intervalMs)
      timer.unref()
    },
    async stop() {
      if (timer) clearInterval(timer)
      await running?.catch(() => undefined)
    },
  }
}
