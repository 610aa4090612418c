// The hash thread (loaded by hashing.ts). Messages are handled in order, so a session's `end`
// follows all of its `data`; every `data` and `end` gets exactly one reply, in order.
import { createHash, type Hash } from 'node:crypto'
import { parentPort } from 'node:worker_threads'
import type { HashRequest } from './hashing.js'

const sessions = new Map<number, Array<[string, Hash]>>()
const port = parentPort
if (!port) throw new Error('hash-worker.js runs as a worker thread only')

port.on('message', (m: HashRequest) => {
  switch (m.op) {
    case 'start':
      sessions.set(
        m.id,
        m.algos.map((a) => [a, createHash(a)]),
      )
      break
    case 'data': {
      const view = new Uint8Array(m.sab, 0, m.len)
      for (const [, h] of sessions.get(m.id) ?? []) h.update(view)
      port.postMessage(0)
      break
    }
    case 'end': {
      const hs = sessions.get(m.id) ?? []
      sessions.delete(m.id)
      port.postMessage(Object.fromEntries(hs.map(([a, h]) => [a, h.digest('hex')])))
      break
    }
    case 'drop':
      sessions.delete(m.id)
      break
  }
})
