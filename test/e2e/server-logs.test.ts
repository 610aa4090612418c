// The server's log as an operator reads it: batched writes must not hold back the line scripts wait
// for, nor lose the last access lines at shutdown.
import { afterAll, describe, expect, it } from 'vitest'
import { removeDir, startServer, type RunningServer } from '../support/server-process.js'

let server: RunningServer | undefined
afterAll(async () => {
  await server?.stop()
  if (server) await removeDir(server.dataDir)
})

describe('server log', () => {
  it('has the access line of each request, flushed by SIGTERM, then "stopped"', async () => {
    const started = Date.now()
    server = await startServer()
    expect(Date.now() - started).toBeLessThan(20_000)
    const res = await fetch(`${server.url}/v2/charms/info/no-such-charm`, { headers: { 'x-request-id': 'trace-me' } })
    expect(res.status).toBe(404)
    expect(await server.stop('SIGTERM')).toBe(0)
    await new Promise((r) => setTimeout(r, 100)) // the last stdout lines reach the reader
    const lines = server.logs.flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>]
      } catch {
        return []
      }
    })
    expect(lines.find((l) => l.msg === 'request')).toMatchObject({
      reqId: 'trace-me',
      method: 'GET',
      url: '/v2/charms/info/no-such-charm',
      status: 404,
    })
    expect(lines.at(-1)).toMatchObject({ msg: 'stopped' })
  })
})
