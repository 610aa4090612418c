// Load for POST /v2/snaps/refresh as snapd sends it for an auto-refresh (docs/protocol/snap-store.md
// §4.1): a `context` of the device's installed snaps and one `refresh` action per snap, with snapd's
// headers; driven by autocannon through bench/lib/http-load.mjs.
import { httpLoad } from '../lib/http-load.mjs'
import { shuffled } from '../lib/rng.mjs'

// jsonutil.StructFields(storeSnap) as snapd 2.6x sends them.
const FIELDS = [
  'architectures',
  'base',
  'confinement',
  'links',
  'contact',
  'created-at',
  'description',
  'download',
  'epoch',
  'license',
  'name',
  'prices',
  'private',
  'publisher',
  'revision',
  'snap-id',
  'snap-yaml',
  'summary',
  'title',
  'type',
  'version',
  'website',
  'store-url',
  'integrity',
  'media',
  'common-ids',
  'categories',
]

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
      'snap-id': id,
      'instance-key': id,
      revision: 1,
      'tracking-channel': 'latest/stable',
      epoch: { read: [0], write: [0] },
      'refreshed-date': '2024-04-01T12:00:00Z',
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
  const order = shuffled(ids, seed)
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
  return () => {
    const x = list[i]
    i = (i + 1) % list.length
    return x
  }
}

/**
 * POSTs bodies from `next()` to <url>/v2/snaps/refresh: for `duration` seconds, or `amount` requests.
 * Returns requests/s (2xx), exact p50/p99 in ms and bytes per response; throws on any failure.
 */
export function refreshLoad({ url, next, connections = 32, duration, amount }) {
  return httpLoad({
    what: 'refresh',
    url,
    connections,
    duration,
    amount,
    requests: [{ method: 'POST', path: '/v2/snaps/refresh', headers: REFRESH_HEADERS, setupRequest: (req) => ({ ...req, body: next() }) }],
  })
}
