// The path rules every archive member (tar or zip) must pass before anything reads it.
import type { ImportLimits } from '../config/schema.js'

/**
 * Normalises a member name ("./a//b" → "a/b") or explains why it is unsafe.
 * Returns '' for the archive root ("./").
 */
export function checkMemberPath(raw: string, limits: Pick<ImportLimits, 'maxMemberPathBytes'>): { path: string } | { problem: string } {
  if (Buffer.byteLength(raw, 'utf8') > limits.maxMemberPathBytes) {
    return { problem: `member path longer than ${limits.maxMemberPathBytes} bytes (limit limits.max-member-path-bytes)` }
  }
  if (raw.includes('\0')) return { problem: 'member path contains a NUL byte' }
  if (raw.includes('\\')) return { problem: 'member path contains a backslash' }
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) return { problem: 'absolute member path' }
  const segments = raw.split('/').filter((s) => s !== '' && s !== '.')
  if (segments.includes('..')) return { problem: 'member path contains ".."' }
  return { path: segments.join('/') }
}

export function baseName(path: string): string {
  const i = path.lastIndexOf('/')
  return i < 0 ? path : path.slice(i + 1)
}

export function dirName(path: string): string {
  const i = path.lastIndexOf('/')
  return i < 0 ? '' : path.slice(0, i)
}
