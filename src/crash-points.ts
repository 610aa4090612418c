// Named places where the crash tests kill the server (test/e2e/crash-during-push.test.ts).
// AIRLOCK_TEST_CRASH_AT is read once at start: `<point>` kills at its first pass, `<point>#N` at
// the Nth, `upload-bytes:N` once N bytes of an upload have arrived. Unset, every call is a no-op.
const spec = process.env.AIRLOCK_TEST_CRASH_AT ?? ''
const m = /^([a-z-]+)(?:#(\d+))?$/.exec(spec)
const point = m ? m[1] : undefined
let remaining = m ? Number(m[2] ?? 1) : 0
const uploadBytes = /^upload-bytes:(\d+)$/.exec(spec)
let bytesLeft = uploadBytes ? Number(uploadBytes[1]) : Infinity

export function crashPoint(name: string): void {
  if (point !== name) return
  if (--remaining === 0) process.kill(process.pid, 'SIGKILL')
}

/** Counts upload bytes toward `upload-bytes:N`. */
export function crashAfterBytes(n: number): void {
  if (bytesLeft === Infinity) return
  bytesLeft -= n
  if (bytesLeft <= 0) process.kill(process.pid, 'SIGKILL')
}
