// A small fake Charmhub on loopback for export failure cases: one charm, "fake", whose refresh answer,
// info answer and download misbehave as `mode` says. With `cdn`, downloads redirect there
// ("redirect-elsewhere"), as the public stores send downloads to a CDN host. With `tls`, it answers
// HTTPS on https://localhost:<port>.
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { buildCharm } from './charm-builder.js'

export interface FakeUpstream {
  url: string
  mode: string
  /** Downloads served with a 200. */
  downloads: number
  /** Range headers received on downloads. */
  ranges: string[]
  close(): Promise<void>
}

const ID = 'FakeCharm0000000000000000000000a'

export async function fakeUpstream(mode: string, cdn?: string, tls?: { key: string; cert: string }): Promise<FakeUpstream> {
  const charm = await buildCharm({ name: 'fake', bases: ['ubuntu@22.04/amd64'] })
  const hash = createHash('sha256').update(charm).digest('hex')
  const state: FakeUpstream = { url: '', mode, downloads: 0, ranges: [], close: async () => {} }
  let dropped = false

  const json = (res: ServerResponse, status: number, body: unknown) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body)
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text)
  }

  const refresh = (res: ServerResponse) => {
    const m = state.mode
    if (m === 'malformed-json') return json(res, 200, '{"results": [{"charm": ')
    if (m === 'endless-503') {
      res.writeHead(503, { 'retry-after': '0', 'content-type': 'application/json' }).end('{}')
      return
    }
    if (m === 'hostile-message')
      return json(res, 200, {
        'error-list': [],
        results: [
          {
            'instance-key': 'export-1',
            result: 'error',
            name: 'fake',
            charm: null,
            error: { code: 'weird', message: 'evil\u001b[2J\nsecond line' },
          },
        ],
      })
    if (m === 'unknown-name')
      return json(res, 200, {
        'error-list': [],
        results: [
          {
            'instance-key': 'export-1',
            result: 'error',
            name: 'fake',
            charm: null,
            error: { code: 'name-not-found', message: "No charm or bundle with name 'fake'." },
          },
        ],
      })
    const download: Record<string, unknown> = {
      url: `${state.url}/api/v1/charms/download/${ID}_1.charm`,
      size: charm.length,
      'hash-sha-256': m === 'wrong-hash' ? 'f'.repeat(64) : hash,
    }
    if (m === 'missing-hash') delete download['hash-sha-256']
    json(res, 200, {
      'error-list': [],
      results: [
        {
          'instance-key': 'export-1',
          result: 'install',
          id: ID,
          name: 'fake',
          'effective-channel': 'latest/stable',
          'released-at': '2024-05-01T10:00:00+00:00',
          charm: {
            type: 'charm',
            id: ID,
            name: 'fake',
            revision: 1,
            version: '1',
            publisher: { id: 'pub', 'display-name': 'Pub' },
            bases: [{ name: 'ubuntu', channel: '22.04', architecture: 'amd64' }],
            download,
            resources: [],
          },
        },
      ],
    })
  }

  const download = (req: IncomingMessage, res: ServerResponse) => {
    const m = state.mode
    if (m === 'redirect-loop') {
      res.writeHead(302, { location: req.url }).end()
      return
    }
    if (m === 'redirect-elsewhere' && cdn && !req.headers['x-at-cdn']) {
      res.writeHead(302, { location: `${cdn}${req.url}` }).end()
      return
    }
    if (m === 'truncated') {
      res.writeHead(200, { 'content-length': charm.length, 'content-type': 'application/octet-stream' })
      res.write(charm.subarray(0, charm.length >> 1), () => res.socket?.destroy())
      return
    }
    if (m === 'drop-once') {
      // The first attempt loses its connection half-way; the retry asks for the rest with Range.
      const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''))
      if (range) {
        state.ranges.push(String(req.headers.range))
        const start = Number(range[1])
        res
          .writeHead(206, { 'content-length': charm.length - start, 'content-range': `bytes ${start}-${charm.length - 1}/${charm.length}` })
          .end(charm.subarray(start))
        return
      }
      if (!dropped) {
        dropped = true
        res.writeHead(200, { 'content-length': charm.length })
        res.write(charm.subarray(0, charm.length >> 1), () => res.socket?.destroy())
        return
      }
    }
    if (m === 'stall') {
      // Half the bytes, then silence: the export is mid-download until someone interrupts it.
      res.writeHead(200, { 'content-length': charm.length, 'content-type': 'application/octet-stream' })
      res.write(charm.subarray(0, charm.length >> 1))
      return
    }
    if (m === 'oversize') {
      res.writeHead(200, { 'content-length': charm.length + 10 }).end(Buffer.concat([charm, Buffer.alloc(10)]))
      return
    }
    state.downloads++
    res.writeHead(200, { 'content-length': charm.length, 'content-type': 'application/octet-stream' }).end(charm)
  }

  const handler: RequestListener = (req, res) => {
    const url = req.url ?? ''
    req.resume()
    if (req.method === 'POST' && url === '/v2/charms/refresh') {
      req.on('end', () => refresh(res))
      return
    }
    if (url.startsWith('/v2/charms/info/fake'))
      return json(res, 200, { type: 'charm', id: ID, name: 'fake', 'channel-map': [], result: { summary: 'fake' } })
    if (url.startsWith('/api/v1/charms/download/')) return download(req, res)
    res.writeHead(404, { 'content-type': 'application/problem+json' }).end('{"error-list":[{"code":"not-found","message":"not found"}]}')
  }
  const server = tls ? createTlsServer(tls, handler) : createServer(handler)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  state.url = tls ? `https://localhost:${port}` : `http://127.0.0.1:${port}`
  state.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections()
      server.close(() => r())
    })
  return state
}
