// Load generation for bench/charmhub: Juju-shaped refresh and info requests over a catalog's charm
// names, driven by autocannon through bench/lib/http-load.mjs.
import { randomUUID } from 'node:crypto'
import { httpLoad } from '../lib/http-load.mjs'
import { shuffled } from '../lib/rng.mjs'

// Juju 3.6's install request (docs/protocol/charmhub.md §5, "Request as Juju 3.6 sends it").
const REFRESH_FIELDS = JSON.stringify([
  'bases',
  'config-yaml',
  'download',
  'id',
  'license',
  'metadata-yaml',
  'name',
  'publisher',
  'resources',
  'revision',
  'summary',
  'type',
  'version',
])
export const refreshBody = (name, instanceKey = randomUUID()) =>
  `{"context":[],"actions":[{"action":"install","instance-key":"${instanceKey}","name":"${name}","channel":"stable",` +
  `"base":{"architecture":"amd64","name":"ubuntu","channel":"22.04"}}],"fields":${REFRESH_FIELDS}}`

// `juju info`'s fields (docs/protocol/charmhub.md §2, J36 defaultInfoFilter), url.Values-encoded as Juju sends them.
const INFO_FIELDS = [
  'result.categories.featured',
  'result.categories.name',
  'result.contains-charms.name',
  'result.contains-charms.package-id',
  'result.contains-charms.store-url',
  'result.description',
  'result.license',
  'result.publisher.display-name',
  'result.store-url',
  'result.summary',
  'default-release.revision.download.size',
  ...['config-yaml', 'metadata-yaml', 'bundle-yaml', 'bases.architecture', 'bases.name', 'bases.channel', 'revision', 'version'].map(
    (f) => `default-release.revision.${f}`,
  ),
  ...['name', 'base.architecture', 'base.name', 'base.channel', 'released-at', 'risk', 'track'].map((f) => `default-release.channel.${f}`),
  'channel-map.revision.download.size',
  ...['created-at', 'bases.architecture', 'bases.name', 'bases.channel', 'revision', 'version'].map((f) => `channel-map.revision.${f}`),
  ...['name', 'base.architecture', 'base.name', 'base.channel', 'released-at', 'risk', 'track'].map((f) => `channel-map.channel.${f}`),
]
export const infoPath = (name) => `/v2/charms/info/${name}?fields=${encodeURIComponent(INFO_FIELDS.join(','))}`

export const KINDS = {
  refresh: {
    method: 'POST',
    request: (name) => ({
      method: 'POST',
      path: '/v2/charms/refresh',
      headers: { 'content-type': 'application/json' },
      body: refreshBody(name),
    }),
  },
  info: { method: 'GET', request: (name) => ({ method: 'GET', path: infoPath(name) }) },
}

/** An endless walk over `names` in a shuffled order (seeded, so every run asks the same sequence). */
export function nameCycle(names, seed = 42) {
  const order = shuffled(names, seed)
  let i = 0
  return () => {
    const n = order[i]
    i = (i + 1) % order.length
    return n
  }
}

/**
 * Runs `kind` requests against `url`: for `duration` seconds, or `amount` requests in all.
 * Returns requests/s (2xx only), exact p50/p99 latency in ms, and bytes per response.
 * Throws when any request failed or answered other than 2xx.
 */
export function load({ url, kind, next, connections = 32, duration, amount }) {
  const k = KINDS[kind]
  return httpLoad({
    what: kind,
    url,
    connections,
    duration,
    amount,
    requests: [{ method: k.method, setupRequest: (req) => ({ ...req, ...k.request(next()) }) }],
  })
}
