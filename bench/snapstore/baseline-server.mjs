#!/usr/bin/env node
// The minimal route bench/snapstore/run.mjs measures Airlock's refresh against: a bare Fastify
// server (no logger, no hooks) whose POST /v2/snaps/refresh answers a precomputed body, the bytes
// of one of Airlock's 30-snap refresh answers. Fastify still parses the request's JSON body (the
// same ~10 KB snapd sends), as it does for Airlock. The body is precomputed as bytes (a Buffer:
// Fastify writes it as is); `string` sends it as a JS string instead (Fastify then measures and
// encodes it per request, as it does any string answer).
//
//   node bench/snapstore/baseline-server.mjs <body.json> [buffer|string]
//
// Prints one JSON line {"msg":"baseline listening","url":"http://127.0.0.1:PORT"} once it listens.
import { readFileSync } from 'node:fs'
import Fastify from 'fastify'

const body = process.argv[3] === 'string' ? readFileSync(process.argv[2], 'utf8') : readFileSync(process.argv[2])
const app = Fastify({ logger: false })
app.post('/v2/snaps/refresh', { bodyLimit: 16 << 20 }, async (_req, reply) => reply.type('application/json').send(body))
const url = await app.listen({ host: '127.0.0.1', port: 0 })
console.log(JSON.stringify({ msg: 'baseline listening', url }))
const stop = () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  )
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
