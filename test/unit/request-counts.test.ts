// RequestCounts renders the same exposition prom-client's own Counter and Histogram would for the
// same observations: metric names and label sets (which dashboards and alerts use) are unchanged.
import { Counter, Histogram, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { RequestCounts, type RouteCounts } from '../../src/http/request-counts.js'

const BUCKETS = [0.001, 0.01, 0.1, 1]
const NAMES = { total: 'x_requests_total', totalHelp: 'Requests.', duration: 'x_duration_seconds', durationHelp: 'Durations.' }
const OBSERVATIONS: Array<[string, number, number]> = [
  ['/a/:name', 200, 0.0004],
  ['/a/:name', 200, 0.001],
  ['/a/:name', 200, 0.0011],
  ['/a/:name', 404, 0.05],
  ['/b', 200, 2],
  ['/b', 200, 0.1],
  ['unmatched', 404, 0.0002],
  ['/a/:name', 200, 0.5],
]

async function ours(): Promise<string> {
  const counts = new RequestCounts(BUCKETS)
  const routes = new Map<string, RouteCounts>()
  for (const [route, status, s] of OBSERVATIONS) {
    if (!routes.has(route)) routes.set(route, counts.route(route))
    counts.observe(routes.get(route)!, status, s)
  }
  const registry = new Registry()
  for (const m of counts.metrics(() => routes.values(), NAMES)) registry.registerMetric(m as unknown as Counter)
  return registry.metrics()
}

async function promClients(): Promise<string> {
  const registry = new Registry()
  const total = new Counter({ name: NAMES.total, help: NAMES.totalHelp, labelNames: ['route', 'status'], registers: [registry] })
  const duration = new Histogram({
    name: NAMES.duration,
    help: NAMES.durationHelp,
    labelNames: ['route', 'status'],
    buckets: BUCKETS,
    registers: [registry],
  })
  for (const [route, status, s] of OBSERVATIONS) {
    total.inc({ route, status: String(status) })
    duration.observe({ route, status: String(status) }, s)
  }
  return registry.metrics()
}

/** Lines as a set: the order of series within a family is not part of the format. */
const lines = (text: string): string[] => text.split('\n').filter(Boolean).sort()

describe('RequestCounts', () => {
  it('renders the exposition prom-client renders for the same observations', async () => {
    expect(lines(await ours())).toEqual(lines(await promClients()))
  })

  it('counts a value equal to a bound in that bucket, and beyond the last in +Inf only', async () => {
    const counts = new RequestCounts([1, 2])
    const r = counts.route('/r')
    counts.observe(r, 200, 1)
    counts.observe(r, 200, 3)
    const [, duration] = counts.metrics(() => [r], NAMES)
    const values = duration
      .get()
      .values.filter((v) => v.metricName === `${NAMES.duration}_bucket`)
      .map((v) => [v.labels.le, v.value])
    expect(values).toEqual([
      [1, 1],
      [2, 1],
      ['+Inf', 2],
    ])
  })

  it('adds no series for a route until it is observed', () => {
    const counts = new RequestCounts(BUCKETS)
    const r = counts.route('/quiet')
    const [total] = counts.metrics(() => [r], NAMES)
    expect(total.get().values).toEqual([])
  })
})
