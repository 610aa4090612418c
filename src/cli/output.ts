// Human and --json output for admin commands, and the upload progress bar (TTY only).
import { createRequire } from 'node:module'
import type cliProgressModule from 'cli-progress'
import type { RevisionOutcome } from '../catalog/model.js'
import { formatBytes } from '../config/size.js'

export function progressBar(label: string): { update: (sent: number, total: number) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} }
  // Loaded only for a terminal: scripted pushes (--json, pipes) skip it.
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof cliProgressModule
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      format: `${label} [{bar}] {percentage}% {done}/{size} {speed}`,
    },
    cliProgress.Presets.shades_classic,
  )
  const started = Date.now()
  let begun = false
  return {
    update(sent, total) {
      const speed = `${formatBytes(sent / Math.max(0.001, (Date.now() - started) / 1000))}/s`
      if (!begun) {
        bar.start(total, 0, { done: formatBytes(0), size: formatBytes(total), speed })
        begun = true
      }
      bar.update(sent, { done: formatBytes(sent), size: formatBytes(total), speed })
    },
    stop() {
      if (begun) bar.stop()
    },
  }
}

export function describeRevision(r: RevisionOutcome): string[] {
  const lines = [`  ${r.type} ${r.name} revision ${r.revision} (version ${r.version}): ${r.status}  [id ${r.id}]`]
  lines.push(`    bases: ${r.bases.map((b) => `${b.name}@${b.channel}/${b.architecture}`).join(', ') || '-'}`)
  if (r.released.length) lines.push(`    released to: ${r.released.join(', ')}`)
  const held = [...new Set(r.held.map((h) => `${h.channel} (${h.revision === null ? 'closed' : `holds revision ${h.revision}`})`))]
  if (held.length) lines.push(`    not released to: ${held.join(', ')}: use --push-channel-map to move them`)
  if (r.resources.length) lines.push(`    resources: ${r.resources.map((x) => `${x.name} (${x.type}) revision ${x.revision}`).join(', ')}`)
  return lines
}

/** Text from the store (names, channels) made safe for a terminal: control characters shown as \xNN. */
export function safe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const n = c.charCodeAt(0)
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`
  })
}
