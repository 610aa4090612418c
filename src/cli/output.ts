// Human and --json output for admin commands, and the upload progress bar (TTY only).
import { createRequire } from 'node:module'
import type cliProgressModule from 'cli-progress'
import type { RevisionOutcome } from '../catalog/model.js'
import { formatBytes } from '../config/size.js'

export function progressBar(label: string): { update: (sent: number, total: number) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} }
  // Loaded only for a terminal: scripted pushes (--json, pipes) skip it.
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof cliProgressModule
  const bar = new cliProgress.SingleBar({
    stream: process.stderr, hideCursor: true, clearOnComplete: true,
    format: `${label} [{bar}] {percentage}% {done}/{size} {speed}`,
  }, cliProgress.Presets.shades_classic)
  const started = Date.now()
  let begun = false
  return {
    update(sent, total) {
      const speed = `${formatBytes(sent / Math.max(0.001, (Date.now() - started) / 1000))}/s`
      if (!begun) { bar.start(total, 0, { done: formatBytes(0), size: formatBytes(total), speed }); begun = true }
      bar.update(sent, { done: formatBytes(sent), size: formatBytes(total), speed })
    },
    stop() { if (begun) bar.stop() },
  }
}

export function describeRevision(r: RevisionOutcome): string[] {
  const lines = [`  ${r.type} ${r.name} revision ${r.revision} (version ${r.version}): ${r.status}  [id ${r.id}]`]
  lines.push(`    bases: ${r.bases.map((b) => `${b.name}@${b.channel}/${b.architecture}`).join(', ') || '-'}`)
  if (r.released.length) lines.push(`    released to: ${r.released.join(', ')}`)
  const held = [...new Set(r.held.map((h) => `${h.channel} (holds revision ${h.revision})`))]
  if (held.length) lines.push(`    not released to: ${held.join(', ')}: use --push-channel-map to move them`)
  if (r.resources.length) lines.push(`    resources: ${r.resources.map((x) => `${x.name} (${x.type}) revision ${x.revision}`).join(', ')}`)
  return lines
}
