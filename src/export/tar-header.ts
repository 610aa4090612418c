// One tar member's header block(s), as tar-stream and GNU tar write them: ustar, with a pax record
// before it when the name does not fit ustar's 100 bytes (or is not ASCII) or the size does not fit
// 11 octal digits. Pure, so an export's whole layout can be computed before any byte is downloaded.

const BLOCK = 512

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0'
}

function ustar(name: string, size: number, mtime: Date, typeflag: string): Buffer {
  const h = Buffer.alloc(BLOCK)
  h.write(name, 0, 100, 'utf8')
  h.write(octal(0o644, 8), 100)
  h.write(octal(0, 8), 108)
  h.write(octal(0, 8), 116)
  if (size < 8 ** 11) h.write(octal(size, 12), 124)
  else {
    // GNU base-256: the pax record carries the size for readers that do not know it.
    h[124] = 0x80
    let v = BigInt(size)
    for (let i = 135; i > 124; i--) {
      h[i] = Number(v & 0xffn)
      v >>= 8n
    }
  }
  h.write(octal(Math.floor(mtime.getTime() / 1000), 12), 136)
  h.write(typeflag, 156)
  h.write('ustar\0' + '00', 257, 'latin1')
  h.write(octal(0, 8), 329)
  h.write(octal(0, 8), 337)
  h.fill(' ', 148, 156)
  let sum = 0
  for (const b of h) sum += b
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1')
  return h
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`
  // The record's length counts its own digits.
  let len = Buffer.byteLength(body) + 1
  while (String(len).length + Buffer.byteLength(body) !== len) len++
  return `${len}${body}`
}

const padTo = (n: number) => (BLOCK - (n % BLOCK)) % BLOCK

/** The header of a regular file member (mode 0644, owner 0): 512 bytes, or more with a pax record. */
export function tarHeader(name: string, size: number, mtime: Date): Buffer {
  const ascii = /^[\x20-\x7e]*$/.test(name)
  const longName = !ascii || Buffer.byteLength(name) > 100
  const bigSize = size >= 8 ** 11
  if (!longName && !bigSize) return ustar(name, size, mtime, '0')
  const pax = Buffer.from((longName ? paxRecord('path', name) : '') + (bigSize ? paxRecord('size', String(size)) : ''))
  const short = longName ? `PaxHeader/${name.replace(/[^\x20-\x7e]/g, '_')}`.slice(0, 100) : name
  return Buffer.concat([
    ustar(short, pax.length, mtime, 'x'),
    pax,
    Buffer.alloc(padTo(pax.length)),
    ustar(longName ? name.replace(/[^\x20-\x7e]/g, '_').slice(-100) : name, size, mtime, '0'),
  ])
}

/** Zero bytes that bring a member of `size` bytes to a whole block. */
export function tarPadding(size: number): number {
  return padTo(size)
}

/** Two zero blocks: the end of a tar archive. */
export const TAR_END = Buffer.alloc(2 * BLOCK)
