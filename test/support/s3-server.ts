// A real S3 server for a test file: Ceph's RADOS Gateway, started by scripts/s3-test-server.sh in a
// directory of its own on ports nobody else holds. One per test file (the script takes seconds).
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ROOT } from './server-process.js'

const run = promisify(execFile)
const SCRIPT = join(ROOT, 'scripts/s3-test-server.sh')

export interface S3Server {
  readonly endpoint: string
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly region: string
  /** AIRLOCK_S3_* settings for `bucket`. */
  env(bucket: string): Record<string, string>
  /** Stops the daemons (the outage tests); `start()` brings up a fresh, empty one on the same port and keys. */
  stop(): Promise<void>
  start(): Promise<void>
  /** Kills the gateway alone (refused connections; objects kept); `startGateway()` brings it back as it was. */
  killGateway(): Promise<void>
  startGateway(): Promise<void>
  /** Stops it and removes its directory. */
  close(): Promise<void>
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port
      srv.close(() => resolve(port))
    })
  })
}

function parse(out: string): Record<string, string> {
  return Object.fromEntries(
    out
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]),
  )
}

export async function startS3Server(): Promise<S3Server> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-s3-'))
  const port = await freePort()
  const monPort = await freePort()
  const start = async () => {
    const { stdout } = await run('bash', [SCRIPT, 'start', dir, String(port)], {
      env: { ...process.env, S3_TEST_MON_PORT: String(monPort) },
      timeout: 240_000,
    })
    return parse(stdout)
  }
  const vars = await start()
  const stop = async () => {
    await run('bash', [SCRIPT, 'stop', dir], { timeout: 60_000 })
  }
  return {
    endpoint: vars.S3_ENDPOINT!,
    accessKeyId: vars.S3_ACCESS_KEY_ID!,
    secretAccessKey: vars.S3_SECRET_ACCESS_KEY!,
    region: vars.S3_REGION!,
    env(bucket) {
      return {
        AIRLOCK_BLOB_STORE: 's3',
        AIRLOCK_S3_ENDPOINT: vars.S3_ENDPOINT!,
        AIRLOCK_S3_BUCKET: bucket,
        AIRLOCK_S3_REGION: vars.S3_REGION!,
        AIRLOCK_S3_ACCESS_KEY_ID: vars.S3_ACCESS_KEY_ID!,
        AIRLOCK_S3_SECRET_ACCESS_KEY: vars.S3_SECRET_ACCESS_KEY!,
        AIRLOCK_S3_FORCE_PATH_STYLE: 'true',
      }
    },
    stop,
    async start() {
      await start()
    },
    async killGateway() {
      await run('bash', [SCRIPT, 'kill-gateway', dir], { timeout: 60_000 })
    },
    async startGateway() {
      await run('bash', [SCRIPT, 'start-gateway', dir], { timeout: 180_000 })
    },
    async close() {
      await stop().catch(() => undefined)
      await rm(dir, { recursive: true, force: true })
    },
  }
}
