// HTTP load for the benches: autocannon with every latency kept, so p50/p99 are exact (autocannon's
// own histogram has 1 ms buckets, too coarse for ~1 ms answers).
import autocannon from 'autocannon'

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
}

/**
 * Runs autocannon `requests` against `url`: for `duration` seconds, or `amount` requests in all.
 * Returns requests/s (2xx only), exact p50/p99 latency in ms, and bytes per response. Throws,
 * naming `what`, when any request failed or answered other than 2xx.
 */
export async function httpLoad({ what, url, requests, connections = 32, duration, amount }) {
  let lat = new Float64Array(1 << 20)
  let n = 0
  const inst = autocannon({ url, connections, pipelining: 1, timeout: 30, ...(amount ? { amount } : { duration }), requests })
  inst.on('response', (_client, _status, _bytes, ms) => {
    if (n === lat.length) {
      const bigger = new Float64Array(lat.length * 2)
      bigger.set(lat)
      lat = bigger
    }
    lat[n++] = ms
  })
  const result = await inst
  if (result.errors || result.timeouts || result.non2xx) {
    throw new Error(
      `${what} ${url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers of ${result.requests.total}`,
    )
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
