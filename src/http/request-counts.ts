// Requests counted by route pattern and status in plain numbers, turned into Prometheus samples
// only when scraped. prom-client's labelled children cost microseconds per request (a label-key
// lookup, then one object write per bucket the value falls under); here a request costs an array
// index, a short bucket scan and three additions. docs/decisions/0014.

/** One (route, status) pair: how many requests fell in each bucket (not cumulative), their sum and count. */
interface Cell {
  readonly perBucket: Float64Array
  sum: number
  count: number
}

/** A route's cells, indexed by status code; made once per route and kept by the caller. */
export interface RouteCounts {
  readonly route: string
  readonly byStatus: Array<Cell | undefined>
}

/** A sample as prom-client's registry formats it (`metricName` for a histogram's _bucket/_sum/_count lines). */
export interface Sample {
  readonly labels: Record<string, string | number>
  readonly value: number
  readonly metricName?: string
}

/** The shape prom-client's Registry reads from a registered metric (Registry.getMetricsAsString). */
export interface RegistryMetric {
  readonly name: string
  readonly help: string
  readonly type: 'counter' | 'histogram'
  readonly aggregator: 'sum'
  get(): { name: string; help: string; type: string; aggregator: 'sum'; values: Sample[] }
}

export class RequestCounts {
  /** Statuses outside 100–599 (never sent by Fastify) share one cell per route, labelled as given. */
  private readonly odd = new Map<string, Cell>()

  /** `buckets`: ascending upper bounds, in seconds. */
  constructor(private readonly buckets: readonly number[]) {}

  route(route: string): RouteCounts {
    return { route, byStatus: [] }
  }

  observe(r: RouteCounts, status: number, seconds: number): void {
    const cell = r.byStatus[status] ?? this.cell(r, status)
    const b = this.buckets
    let i = 0
    while (i < b.length && seconds > b[i]!) i++
    cell.perBucket[i]! += 1
    cell.sum += seconds
    cell.count += 1
  }

  /** The requests counter and the duration histogram, for prom-client's registry. */
  metrics(
    routes: () => Iterable<RouteCounts>,
    names: { total: string; totalHelp: string; duration: string; durationHelp: string },
  ): [RegistryMetric, RegistryMetric] {
    const cells = (): Array<[Record<string, string>, Cell]> => {
      const out: Array<[Record<string, string>, Cell]> = []
      for (const r of routes()) {
        r.byStatus.forEach((c, status) => {
          if (c) out.push([{ route: r.route, status: String(status) }, c])
        })
      }
      for (const [key, c] of this.odd) {
        const [route, status] = key.split('\0') as [string, string]
        out.push([{ route, status }, c])
      }
      return out
    }
    const metric = (name: string, help: string, type: 'counter' | 'histogram', values: () => Sample[]): RegistryMetric => ({
      name,
      help,
      type,
      aggregator: 'sum',
      get: () => ({ name, help, type, aggregator: 'sum', values: values() }),
    })
    const total = metric(names.total, names.totalHelp, 'counter', () => cells().map(([labels, c]) => ({ labels, value: c.count })))
    const duration = metric(names.duration, names.durationHelp, 'histogram', () =>
      cells().flatMap(([labels, c]) => this.histogramSamples(names.duration, labels, c)),
    )
    return [total, duration]
  }

  private histogramSamples(name: string, labels: Record<string, string>, c: Cell): Sample[] {
    const out: Sample[] = []
    let cumulative = 0
    this.buckets.forEach((le, i) => {
      cumulative += c.perBucket[i]!
      out.push({ labels: { le, ...labels }, value: cumulative, metricName: `${name}_bucket` })
    })
    out.push({ labels: { le: '+Inf', ...labels }, value: c.count, metricName: `${name}_bucket` })
    out.push({ labels, value: c.sum, metricName: `${name}_sum` })
    out.push({ labels, value: c.count, metricName: `${name}_count` })
    return out
  }

  private cell(r: RouteCounts, status: number): Cell {
    const fresh = (): Cell => ({ perBucket: new Float64Array(this.buckets.length + 1), sum: 0, count: 0 })
    if (Number.isInteger(status) && status >= 100 && status < 600) return (r.byStatus[status] = fresh())
    const key = `${r.route}\0${String(status)}`
    let c = this.odd.get(key)
    if (!c) this.odd.set(key, (c = fresh()))
    return c
  }
}
