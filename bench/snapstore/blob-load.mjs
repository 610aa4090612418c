// Download load for bench/snapstore: `connections` keep-alive HTTP/1.1 connections, each GETting the
// blob again and again (whole file, or random byte ranges) for `duration` seconds, counting body
// bytes. The client reads straight into one 1 MiB buffer per connection (net's `onread`), so it
// costs far less CPU than a general HTTP client (autocannon parses bodies in JS; wrk reads 8 KiB at
// a time) and leaves the second core to the server being measured.
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { createReadStream, openSync, readSync, closeSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import { rng } from '../lib/rng.mjs'

const MiB = 1 << 20
const CRLF2 = Buffer.from('\r\n\r\n')

/** One connection's request loop; resolves with its counters at the deadline. */
function connection({ host, port, path, size, range, deadline, rand, onBytes }) {
  return new Promise((resolve, reject) => {
    const buf = Buffer.allocUnsafe(MiB)
    let state = 'idle' // 'head': reading a response's head; 'body': its body
    let head = Buffer.alloc(0) // head bytes seen so far
    let left = 0 // body bytes still expected
    let started = 0n
    let wanted = null
    const lat = []
    let requests = 0
    let finished = false
    const send = () => {
      if (Date.now() >= deadline) {
        finish()
        return
      }
      let extra = ''
      if (range) {
        const start = Math.floor(rand() * (size - range + 1))
        wanted = { start, end: start + range - 1 }
        extra = `Range: bytes=${wanted.start}-${wanted.end}\r\n`
      }
      state = 'head'
      head = Buffer.alloc(0)
      started = process.hrtime.bigint()
      sock.write(
        `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUser-Agent: snapd/2.66.1 (classic) ubuntu/24.04 (amd64)\r\nAccept-Encoding: identity\r\n${extra}\r\n`,
      )
    }
    const finish = () => {
      if (finished) return
      finished = true
      sock.destroy()
      resolve({ requests, lat })
    }
    const fail = (err) => {
      if (!finished) {
        finished = true
        sock.destroy()
        reject(err)
      }
    }
    const body = (n) => {
      left -= n
      onBytes(n)
      if (left === 0) {
        state = 'idle'
        requests++
        lat.push(Number(process.hrtime.bigint() - started) / 1e6)
        send()
      } else if (left < 0) fail(new Error(`${path}: more body than Content-Length`))
    }
    const sock = net.connect({
      host,
      port,
      noDelay: true,
      onread: {
        buffer: buf,
        callback: (n, b) => {
          if (finished) return false
          if (Date.now() >= deadline) {
            finish()
            return false
          }
          if (state === 'body') {
            body(n)
            return true
          }
          if (state !== 'head') {
            fail(new Error(`${path}: bytes after the response`))
            return false
          }
          const chunk = b.subarray(0, n)
          const all = head.length ? Buffer.concat([head, chunk]) : chunk
          const end = all.indexOf(CRLF2)
          if (end < 0) {
            head = Buffer.from(all)
            return true
          }
          const text = all.subarray(0, end).toString('latin1')
          const status = Number(text.slice(9, 12))
          const cl = /\r\ncontent-length: *(\d+)/i.exec(text)
          const want = range ? 206 : 200
          if (status !== want || !cl) {
            fail(new Error(`${path}: HTTP ${status} (wanted ${want}), head:\n${text}`))
            return false
          }
          if (/\r\ntransfer-encoding:/i.test(text) || /\r\ncontent-encoding: *(?!identity)/i.test(text)) {
            fail(new Error(`${path}: encoded answer:\n${text}`))
            return false
          }
          const expect = Number(cl[1])
          if (range) {
            const cr = /\r\ncontent-range: *bytes (\d+)-(\d+)\/(\d+)/i.exec(text)
            if (!cr || Number(cr[1]) !== wanted.start || Number(cr[2]) !== wanted.end || Number(cr[3]) !== size) {
              fail(new Error(`${path}: wrong Content-Range:\n${text}`))
              return false
            }
          } else if (expect !== size) {
            fail(new Error(`${path}: Content-Length ${expect}, wanted ${size}`))
            return false
          }
          left = expect
          state = 'body'
          const rest = all.length - end - 4
          if (rest > 0) body(rest)
          return true
        },
      },
    })
    sock.on('connect', send)
    sock.on('error', fail)
    sock.on('end', () => {
      if (!finished) fail(new Error(`${path}: connection closed by the server`))
    })
  })
}

/**
 * Downloads `path` from `url` over `connections` connections for `duration` seconds; `range`
 * (bytes) asks random ranges of that length instead of the whole file. Returns MiB/s of body
 * bytes over the duration (bytes of unfinished downloads count), completed requests, p50/p99 ms.
 */
export async function blobLoad({ url, path, size, connections = 1, duration = 10, range, seed = 1 }) {
  const u = new URL(url)
  const host = u.hostname
  const port = Number(u.port)
  let bytes = 0
  const t0 = process.hrtime.bigint()
  const deadline = Date.now() + duration * 1000
  const rand = rng(seed)
  const results = await Promise.all(
    Array.from({ length: connections }, () =>
      connection({
        host,
        port,
        path,
        size,
        range,
        deadline,
        rand,
        onBytes: (n) => {
          bytes += n
        },
      }),
    ),
  )
  const wall = Number(process.hrtime.bigint() - t0) / 1e9
  const lat = results.flatMap((r) => r.lat).sort((a, b) => a - b)
  const pct = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : NaN)
  return {
    mibps: bytes / MiB / wall,
    requests: results.reduce((t, r) => t + r.requests, 0),
    p50: pct(0.5),
    p99: pct(0.99),
    seconds: wall,
  }
}

/** sha256 of a whole download, and its headers (checks the server serves the right bytes). */
export async function downloadDigest(url) {
  const res = await new Promise((resolve, reject) => http.get(url, resolve).on('error', reject))
  const h = createHash('sha256')
  let n = 0
  res.on('data', (c) => {
    h.update(c)
    n += c.length
  })
  await once(res, 'end')
  return { status: res.statusCode, headers: res.headers, bytes: n, sha256: h.digest('hex') }
}

/** Checks a few ranges against the file's bytes. */
export async function checkRanges(url, file, size, len = MiB) {
  const fd = openSync(file, 'r')
  try {
    for (const start of [0, 12345, size - len, Math.floor(size / 3)]) {
      const end = start + len - 1
      const res = await fetch(url, { headers: { range: `bytes=${start}-${end}` } })
      const got = Buffer.from(await res.arrayBuffer())
      const want = Buffer.alloc(len)
      readSync(fd, want, 0, len, start)
      if (res.status !== 206 || !got.equals(want))
        throw new Error(
          `${url} bytes=${start}-${end}: HTTP ${res.status}, ${got.length} bytes, ${got.equals(want) ? 'same' : 'different'} bytes`,
        )
    }
  } finally {
    closeSync(fd)
  }
}

/** Reads the file once so both servers start from a warm page cache. */
export async function warmPageCache(file) {
  const s = createReadStream(file, { highWaterMark: 4 * MiB })
  for await (const _ of s) {
    /* read */
  }
}
