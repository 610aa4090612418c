// snapd's fakestore (tests/lib/fakestore, built by scripts/build-snapd-testkeys.sh at
// ~/.cache/snapd-testkeys/bin/fakestore) as a reference for refresh, with run.mjs --fakestore.
// It is a plain directory store: per request it re-reads every assertion file and every .snap
// (snap.yaml and a SHA3-384 of the whole file), so it is measured on `perDevice` tiny snaps only
// (the device's own), not on the 5,000-snap catalog. Snaps are built with mksquashfs and get a
// snap-declaration and a snap-revision signed with snapd's test keys (fakestore new-snap-*).
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, writeFileSync, readdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './nginx.mjs'
import { cpuMeter, startProcess } from '../lib/processes.mjs'
import { cycle, refreshLoad } from './refresh-load.mjs'

export const FAKESTORE = join(homedir(), '.cache', 'snapd-testkeys', 'bin', 'fakestore')

const snapIdOf = (i) => `fakestorebench${String(i).padStart(4, '0')}`.padEnd(32, 'X')

/** Builds (once) a fakestore dir with `n` snaps at revision 2. */
function prepare(dir, n) {
  const stamp = join(dir, 'ready')
  if (existsSync(stamp) && readdirSync(dir).filter((f) => f.endsWith('.snap')).length === n) return
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(join(dir, 'asserts'), { recursive: true })
  const work = join(dir, '..', 'fakestore-build')
  for (let i = 0; i < n; i++) {
    const name = `fs-bench-${i}`
    const root = join(work, name)
    rmSync(root, { recursive: true, force: true })
    mkdirSync(join(root, 'meta'), { recursive: true })
    mkdirSync(join(root, 'bin'))
    writeFileSync(
      join(root, 'meta', 'snap.yaml'),
      `name: ${name}\nversion: '1.2'\nsummary: fakestore bench ${i}\ndescription: A snap for the fakestore reference.\narchitectures: [all]\nconfinement: strict\nbase: core22\napps:\n  ${name}:\n    command: bin/hello\n`,
    )
    writeFileSync(join(root, 'bin', 'hello'), `#!/bin/sh\necho ${name}\n`, { mode: 0o755 })
    const snap = join(dir, `${name}_2.snap`)
    execFileSync('mksquashfs', [root, snap, '-noappend', '-comp', 'xz', '-no-fragments', '-all-root', '-no-xattrs', '-quiet'], {
      stdio: 'ignore',
    })
    const decl = join(work, `${name}.decl.json`)
    const rev = join(work, `${name}.rev.json`)
    writeFileSync(decl, JSON.stringify({ 'snap-id': snapIdOf(i), 'snap-name': name }))
    writeFileSync(rev, JSON.stringify({ 'snap-id': snapIdOf(i), 'snap-revision': '2' }))
    execFileSync(FAKESTORE, ['new-snap-declaration', '--dir', dir, '--snap-decl-json', decl, snap], { stdio: 'ignore' })
    execFileSync(FAKESTORE, ['new-snap-revision', '--dir', dir, '--snap-rev-json', rev, snap], { stdio: 'ignore' })
  }
  rmSync(work, { recursive: true, force: true })
  writeFileSync(stamp, '')
}

/** One measurement of the fakestore's refresh with a `perDevice`-snap context; undefined when not built. */
export async function measureFakestore({ out, perDevice, duration, connections, log }) {
  if (!existsSync(FAKESTORE)) {
    log(`fakestore: ${FAKESTORE} not built; skipped`)
    return undefined
  }
  const dir = join(out, 'fakestore')
  prepare(dir, perDevice)
  const port = await freePort()
  const server = await startProcess(FAKESTORE, ['run', '--dir', dir, '--addr', `127.0.0.1:${port}`], {
    logFile: join(out, 'fakestore.log'),
    ready: (() => {
      let ok = false
      return () => {
        void fetch(`http://127.0.0.1:${port}/`).then(
          () => {
            ok = true
          },
          () => {},
        )
        return ok ? `http://127.0.0.1:${port}` : undefined
      }
    })(),
    timeoutS: 30,
  })
  try {
    const ids = Array.from({ length: perDevice }, (_, i) => snapIdOf(i))
    const { refreshBody } = await import('./refresh-load.mjs')
    const body = refreshBody(ids)
    const check = await fetch(`${server.url}/v2/snaps/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    const text = await check.text()
    const results = check.status === 200 ? (JSON.parse(text).results ?? []) : []
    if (results.length !== perDevice)
      throw new Error(`fakestore refresh: HTTP ${check.status}, ${results.length} results: ${text.slice(0, 300)}`)
    log(`fakestore (${perDevice} snaps, reference): ${Buffer.byteLength(text)} B answer`)
    await refreshLoad({ url: server.url, next: cycle([body]), connections, duration: 2 })
    const meter = cpuMeter(server.pid)
    const r = await refreshLoad({ url: server.url, next: cycle([body]), connections, duration })
    r.cpu = meter()
    r.snaps = perDevice
    r.answerBytes = Buffer.byteLength(text)
    log(
      `    fakestore refresh ${r.rps.toFixed(1)} req/s  p50 ${r.p50.toFixed(0)} ms  p99 ${r.p99.toFixed(0)} ms  CPU: server ${(100 * r.cpu.server).toFixed(0)}%`,
    )
    return r
  } finally {
    await server.stop()
  }
}
