// The driver key grammar (driver.ts): relative, '/'-separated segments of [0-9a-z._-], none of them
// '.' or '..'. Every driver checks keys with it, so no key names anything outside the driver's root.
const SEGMENT = /^[0-9a-z._-]+$/

export function isKeySegment(s: string): boolean {
  return SEGMENT.test(s) && s !== '.' && s !== '..'
}

/** `key` itself, or a rejection with code ENOENT (what a lookup of a malformed key amounts to). */
export function checkKey(key: string): string {
  if (key.length === 0 || key.length > 1024 || !key.split('/').every(isKeySegment)) {
    throw Object.assign(new Error(`not a valid storage key: ${JSON.stringify(key.slice(0, 100))}`), { code: 'ENOENT' })
  }
  return key
}
