// nginx serving the benchmark's blob, as the reference for Airlock's downloads: a temporary config
// (root = the data dir's blob tree, so both servers read the very same file), sendfile on, no gzip,
// keep-alive without a request limit (Node has none), access log on (Airlock logs each request too).
import { createServer } from 'node:net'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { startProcess } from '../lib/processes.mjs'

export function nginxBinary() {
  for (const p of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx']) if (existsSync(p)) return p
  const r = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' })
  return r.status === 0 ? r.stdout.trim() : undefined
}

/** A port nothing listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

/**
 * Starts nginx with `workers` worker processes serving `root` on a free port of 127.0.0.1.
 * Resolves to { url, pid, stop() } (pid: the master; its workers are its children).
 */
export async function startNginx({ root, dir, workers = 1 }) {
  const bin = nginxBinary()
  if (!bin) throw new Error('nginx not found (apt-get install -y nginx-light)')
  mkdirSync(join(dir, 'tmp'), { recursive: true })
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const conf = join(dir, 'nginx.conf')
    writeFileSync(
      conf,
      `# Written by bench/snapstore/nginx.mjs for one benchmark run.
${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes ${workers};
daemon off;
master_process on;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 1024; }
http {
  default_type application/octet-stream;
  access_log ${join(dir, 'access.log')};
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  gzip off;
  keepalive_timeout 75s;
  keepalive_requests 1000000;
  client_body_temp_path ${join(dir, 'tmp', 'body')};
  proxy_temp_path ${join(dir, 'tmp', 'proxy')};
  fastcgi_temp_path ${join(dir, 'tmp', 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'tmp', 'uwsgi')};
  scgi_temp_path ${join(dir, 'tmp', 'scgi')};
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / { }
  }
}
`,
    )
    try {
      const ready = async () => {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/nonexistent`)
          await res.arrayBuffer()
          return true
        } catch {
          return false
        }
      }
      let ok = false
      const server = await startProcess(bin, ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], {
        logFile: join(dir, 'nginx.out'),
        // startProcess polls synchronously; kick off an async probe and report its last answer.
        ready: () => {
          void ready().then((r) => {
            ok = r
          })
          return ok ? `http://127.0.0.1:${port}` : undefined
        },
        timeoutS: 20,
      })
      return server
    } catch (err) {
      if (attempt >= 3) throw err
    }
  }
}
