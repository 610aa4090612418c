// Mixed, open-loop traffic for bench/soak: requests are started on a fixed schedule (not when the
// previous one answers), so a server that slows down is seen as growing latency rather than as a
// lower rate. Every answer is checked (status, and for downloads the byte count), and latencies are
// kept per minute so drift over a long run shows.
import http from 'node:http'
import { randomUUID } from 'node:crypto'
import { refreshBody, infoPath } from '../charmhub/load.mjs'
import { REFRESH_HEADERS } from '../snapstore/refresh-load.mjs'
import { rng } from '../lib/rng.mjs'

const RANGE_BYTES = 1 << 20

/** One request kind: its share of the mix, and `make(pick)` → { method, path, headers, body, expect }. */
export function requestKinds({ charms, deviceBodies, charmDownloads, resourceDownloads, snap }) {
  return {
    'charm-refresh': {
      weight: 30,
      make: (pick) => ({
        method: 'POST',
        path: '/v2/charms/refresh',
        headers: { 'content-type': 'application/json' },
        body: refreshBody(pick(charms), randomUUID()),
      }),
    },
    'charm-info': { weight: 20, make: (pick) => ({ method: 'GET', path: infoPath(pick(charms)) }) },
    'snap-refresh': {
      weight: 25,
      make: (pick) => ({ method: 'POST', path: '/v2/snaps/refresh', headers: REFRESH_HEADERS, body: pick(deviceBodies) }),
    },
    'charm-download': { weight: 8, make: (pick) => ({ method: 'GET', path: pick(charmDownloads), expectWhole: true }) },
    'resource-download': { weight: 5, make: (pick) => ({ method: 'GET', path: pick(resourceDownloads), expectWhole: true }) },
    'snap-download': { weight: 2, make: () => ({ method: 'GET', path: snap.path, expectWhole: true, size: snap.size }) },
    'snap-range': {
      weight: 10,
      make: (_pick, rand) => {
        const start = Math.floor(rand() * Math.max(1, snap.size - RANGE_BYTES))
        const end = Math.min(snap.size, start + RANGE_BYTES) - 1
        return {
          method: 'GET',
          path: snap.path,
          headers: { range: `bytes=${start}-${end}` },
          expectBytes: end - start + 1,
          expectStatus: 206,
        }
      },
    },
  }
}

/** Sends one request and reads the whole answer; resolves { ok, ms, problem }. Never rejects. */
export function send(agent, base, req) {
  const t0 = process.hrtime.bigint()
  const done = (ok, problem) => ({ ok, ms: Number(process.hrtime.bigint() - t0) / 1e6, problem })
  return new Promise((resolve) => {
    const r = http.request(
      { agent, host: base.hostname, port: base.port, method: req.method, path: req.path, headers: req.headers, timeout: 30_000 },
      (res) => {
        let bytes = 0
        res.on('data', (c) => {
          bytes += c.length
        })
        res.on('error', (e) => resolve(done(false, `${req.path}: ${e.message}`)))
        res.on('end', () => {
          const want = req.expectStatus ?? 200
          if (res.statusCode !== want) return resolve(done(false, `${req.method} ${req.path}: HTTP ${res.statusCode}, expected ${want}`))
          const length = Number(res.headers['content-length'])
          if (req.expectBytes !== undefined && bytes !== req.expectBytes)
            return resolve(done(false, `${req.path} ${req.headers?.range}: ${bytes} bytes, expected ${req.expectBytes}`))
          if (req.expectWhole && Number.isFinite(length) && bytes !== length)
            return resolve(done(false, `${req.path}: ${bytes} bytes, Content-Length ${length}`))
          resolve(done(true))
        })
      },
    )
    r.on('timeout', () => r.destroy(new Error('timed out after 30 s')))
    r.on('error', (e) => resolve(done(false, `${req.method} ${req.path}: ${e.message}`)))
    r.end(req.body)
  })
}

function percentile(sorted, p) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
}

export function summarise(latencies) {
  const s = Float64Array.from(latencies).sort()
  return { count: s.length, p50: percentile(s, 0.5), p99: percentile(s, 0.99) }
}

/**
 * Runs `kinds` at `rate` requests/s for `seconds`, at most `maxInFlight` at once (a request that
 * would exceed it is counted as late, not sent). `onMinute(i, stats)` is called at each minute's end
 * (and for the last partial one). Returns totals per kind and all problems seen (the first 20).
 */
export async function runMix({ url, kinds, rate, seconds, maxInFlight = 256, seed = 7, onMinute = () => {} }) {
  const base = new URL(url)
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })
  const rand = rng(seed)
  const pick = (list) => list[Math.floor(rand() * list.length)]
  const table = Object.entries(kinds).flatMap(([name, k]) => Array(k.weight).fill(name))
  const perKind = Object.fromEntries(Object.keys(kinds).map((k) => [k, { latencies: [], errors: 0 }]))
  const problems = []
  let minute = { latencies: [], errors: 0, late: 0 }
  let inFlight = 0
  let sent = 0
  let late = 0
  const pending = new Set()
  const t0 = Date.now()
  let minuteIndex = 0
  const closeMinute = () => {
    onMinute(minuteIndex++, { ...summarise(minute.latencies), errors: minute.errors, late: minute.late })
    minute = { latencies: [], errors: 0, late: 0 }
  }

  for (;;) {
    const elapsed = (Date.now() - t0) / 1000
    if (elapsed >= seconds) break
    if (elapsed >= (minuteIndex + 1) * 60) closeMinute()
    const due = Math.floor(elapsed * rate)
    // Bounded: at most one tick's worth of requests per pass, however far behind the loop is.
    for (let n = 0; sent < due && n < rate; n++, sent++) {
      if (inFlight >= maxInFlight) {
        late++
        minute.late++
        continue
      }
      const kind = table[Math.floor(rand() * table.length)]
      const m = minute
      inFlight++
      const p = send(agent, base, kinds[kind].make(pick, rand)).then((r) => {
        inFlight--
        pending.delete(p)
        m.latencies.push(r.ms)
        perKind[kind].latencies.push(r.ms)
        if (!r.ok) {
          m.errors++
          perKind[kind].errors++
          if (problems.length < 20) problems.push(r.problem)
        }
      })
      pending.add(p)
    }
    await new Promise((r) => setTimeout(r, 5))
  }
  await Promise.all(pending)
  if (minute.latencies.length > 0 || minute.late > 0) closeMinute()
  agent.destroy()
  const totals = Object.fromEntries(Object.entries(perKind).map(([k, v]) => [k, { ...summarise(v.latencies), errors: v.errors }]))
  return { totals, problems, sent, late, seconds: (Date.now() - t0) / 1000 }
}
