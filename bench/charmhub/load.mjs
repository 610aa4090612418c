// Load generation for bench/charmhub: Juju-shaped refresh and info requests over a catalog's charm
// names, driven by autocannon, with latencies kept exactly (autocannon's own histogram has 1 ms
// buckets, too coarse for ~1 ms answers).
import { randomUUID } from 'node:crypto'
import autocannon from 'autocannon'

// Juju 3.6's install request (spec/charmhub-protocol.md §5, "Request as Juju 3.6 sends it").
const REFRESH_FIELDS = JSON.stringify(['bases', 'config-yaml', 'download', 'id', 'license', 'metadata-yaml', 'name', 'publisher',
  'resources', 'revision', 'summary', 'type', 'version'])
export const refreshBody = (name, instanceKey = randomUUID()) =>
  `{"context":[],"actions":[{"action":"install","instance-key":"${instanceKey}","name":"${name}","channel":"stable",`
  + `"base":{"architecture":"amd64","name":"ubuntu","channel":"22.04"}}],"fields":${REFRESH_FIELDS}}`

// `juju info`'s fields (spec §2, J36 defaultInfoFilter), url.Values-encoded as Juju sends them.
const INFO_FIELDS = [
  'result.categories.featured', 'result.categories.name', 'result.contains-charms.name', 'result.contains-charms.package-id',
  'result.contains-charms.store-url', 'result.description', 'result.license', 'result.publisher.display-name', 'result.store-url',
  'result.summary', 'default-release.revision.download.size',
  ...['config-yaml', 'metadata-yaml', 'bundle-yaml', 'bases.architecture', 'bases.name', 'bases.channel', 'revision', 'version'].map((f) => `default-release.revision.${f}`),
  ...['name', 'base.architecture', 'base.name', 'base.channel', 'released-at', 'risk', 'track'].map((f) => `default-release.channel.${f}`),
  'channel-map.revision.download.size',
  ...['created-at', 'bases.architecture', 'bases.name', 'bases.channel', 'revision', 'version'].map((f) => `channel-map.revision.${f}`),
  ...['name', 'base.architecture', 'base.name', 'base.channel', 'released-at', 'risk', 'track'].map((f) => `channel-map.channel.${f}`),
]
export const infoPath = (name) => `/v2/charms/info/${name}?fields=${encodeURIComponent(INFO_FIELDS.join(','))}`

export const KINDS = {
  refresh: {
    method: 'POST',
    request: (name) => ({ method: 'POST', path: '/v2/charms/refresh', headers: { 'content-type': 'application/json' }, body: refreshBody(name) }),
  },
  info: { method: 'GET', request: (name) => ({ method: 'GET', path: infoPath(name) }) },
}

/** An endless walk over `names` in a shuffled order (seeded, so every run asks the same sequence). */
export function nameCycle(names, seed = 42) {
  const order = [...names]
  let a = seed >>> 0
  const rand = () => { a = (Math.imul(a, 1664525) + 1013904223) >>> 0; return a / 4294967296 }
  for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [order[i], order[j]] = [order[j], order[i]] }
  let i = 0
  return () => { const n = order[i]; i = (i + 1) % order.length; return n }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
}

/**
 * Runs `kind` requests against `url`: for `duration` seconds, or `amount` requests in all.
 * Returns requests/s (2xx only), exact p50/p99 latency in ms, and bytes per response.
 * Throws when any request failed or answered other than 2xx.
 */
export async function load({ url, kind, next, connections = 32, duration, amount }) {
  const k = KINDS[kind]
  let lat = new Float64Array(1 << 20)
  let n = 0
  const inst = autocannon({
    url, connections, pipelining: 1, timeout: 30,
    ...(amount ? { amount } : { duration }),
    requests: [{ method: k.method, setupRequest: (req) => ({ ...req, ...k.request(next()) }) }],
  })
  inst.on('response', (_client, _status, _bytes, ms) => {
    if (n === lat.length) { const bigger = new Float64Array(lat.length * 2); bigger.set(lat); lat = bigger }
    lat[n++] = ms
  })
  const result = await inst
  if (result.errors || result.timeouts || result.non2xx) {
    throw new Error(`${kind} ${url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers of ${result.requests.total}`)
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
