#!/usr/bin/env node
// The baseline bench/charmhub/run.mjs measures Airlock against: a bare Fastify server (no logger, no
// hooks) whose two routes answer with precomputed bodies of the same bytes as Airlock's answers.
// Fastify still parses the refresh request's JSON body, as it does for Airlock.
//
//   node bench/charmhub/baseline-server.mjs <bodies.json> [PORT]   (bodies.json: {"refresh": "...", "info": "..."})
//
// Prints one JSON line {"msg":"baseline listening","url":"http://127.0.0.1:PORT"} once it listens.
import { readFileSync } from 'node:fs'
import Fastify from 'fastify'

const bodies = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const app = Fastify({ logger: false })
app.post('/v2/charms/refresh', async (_req, reply) => reply.type('application/json').send(bodies.refresh))
app.get('/v2/charms/info/:name', async (_req, reply) => reply.type('application/json').send(bodies.info))
const url = await app.listen({ host: '127.0.0.1', port: Number(process.argv[3] ?? 0) })
console.log(JSON.stringify({ msg: 'baseline listening', url }))
const stop = () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  )
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
