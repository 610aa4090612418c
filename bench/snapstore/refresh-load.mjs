// Load for POST /v2/snaps/refresh as snapd sends it for an auto-refresh (spec/snap-store-protocol.md
// §4.1): a `context` of the device's installed snaps and one `refresh` action per snap, with snapd's
// headers; driven by autocannon, latencies kept exactly (autocannon's histogram has 1 ms buckets).
import autocannon from 'autocannon'

// jsonutil.StructFields(storeSnap) as snapd 2.6x sends them.
const FIELDS = ['architectures', 'base', 'confinement', 'links', 'contact', 'created-at', 'description', 'download', 'epoch', 'license',
  'name', 'prices', 'private', 'publisher', 'revision', 'snap-id', 'snap-yaml', 'summary', 'title', 'type', 'version', 'website',
  'store-url', 'integrity', 'media', 'common-ids', 'categories']

export const REFRESH_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json',
  'user-agent': 'snapd/2.66.1 (classic) ubuntu/24.04 (amd64) linux/6.8.0-49-generic',
  'snap-device-architecture': 'amd64',
  'snap-device-series': '16',
  'snap-classic': 'true',
  'snap-device-capabilities': 'default-tracks',
  'snap-accept-delta-format': 'xdelta3',
  'snap-refresh-reason': 'scheduled',
}

/** One device's refresh body: installed at revision 1, tracking latest/stable, one refresh action each. */
export function refreshBody(ids) {
  return JSON.stringify({
    context: ids.map((id) => ({
      'snap-id': id, 'instance-key': id, revision: 1, 'tracking-channel': 'latest/stable',
      epoch: { read: [0], write: [0] }, 'refreshed-date': '2024-04-01T12:00:00Z',
    })),
    actions: ids.map((id) => ({ action: 'refresh', 'instance-key': id, 'snap-id': id })),
    fields: FIELDS,
  })
}

/**
 * `count` devices with `perDevice` snaps each, drawn from `ids` in a seeded shuffled walk, so the
 * devices together cover the whole catalog (every snap's texts get cached during the warm-up) and
 * every run sends the same sequence.
 */
export function deviceBodies(ids, { count = 512, perDevice = 30, seed = 42 } = {}) {
  const order = [...ids]
  let a = seed >>> 0
  const rand = () => { a = (Math.imul(a, 1664525) + 1013904223) >>> 0; return a / 4294967296 }
  for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [order[i], order[j]] = [order[j], order[i]] }
  const out = []
  for (let d = 0, k = 0; d < count; d++) {
    const mine = []
    for (let s = 0; s < perDevice; s++, k++) mine.push(order[k % order.length])
    out.push(refreshBody(mine))
  }
  return out
}

export function cycle(list, start = 0) {
  let i = start % list.length
  return () => { const x = list[i]; i = (i + 1) % list.length; return x }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
}

/**
 * POSTs bodies from `next()` to <url>/v2/snaps/refresh: for `duration` seconds, or `amount` requests.
 * Returns requests/s (2xx), exact p50/p99 in ms and bytes per response; throws on any failure.
 */
export async function refreshLoad({ url, next, connections = 32, duration, amount }) {
  let lat = new Float64Array(1 << 20)
  let n = 0
  const inst = autocannon({
    url, connections, pipelining: 1, timeout: 30,
    ...(amount ? { amount } : { duration }),
    requests: [{ method: 'POST', path: '/v2/snaps/refresh', headers: REFRESH_HEADERS, setupRequest: (req) => ({ ...req, body: next() }) }],
  })
  inst.on('response', (_client, _status, _bytes, ms) => {
    if (n === lat.length) { const bigger = new Float64Array(lat.length * 2); bigger.set(lat); lat = bigger }
    lat[n++] = ms
  })
  const result = await inst
  if (result.errors || result.timeouts || result.non2xx) {
    throw new Error(`refresh ${url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers of ${result.requests.total}`)
  }
  const sorted = lat.subarray(0, n).sort()
  return {
    rps: result['2xx'] / result.duration,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    requests: result['2xx'],
    bytesPerResponse: result.throughput.total / Math.max(1, result.requests.total),
  }
}
