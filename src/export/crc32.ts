// CRC-32 (gzip's) of a concatenation from the CRCs of its pieces, as zlib's crc32_combine does: a
// stored gzip member's trailer is then computed from per-piece CRCs, whatever order the pieces were
// written in, without reading the file back. Operators are cached per length (few distinct lengths).
import { crc32 } from 'node:zlib'

export { crc32 }

const GF2_DIM = 32

function times(mat: Uint32Array, vec: number): number {
  let sum = 0
  for (let i = 0; vec !== 0; i++, vec >>>= 1) if (vec & 1) sum ^= mat[i]!
  return sum >>> 0
}

function square(mat: Uint32Array): Uint32Array {
  const out = new Uint32Array(GF2_DIM)
  for (let n = 0; n < GF2_DIM; n++) out[n] = times(mat, mat[n]!)
  return out
}

/** The operator that appends `len` zero bytes to a CRC register. */
function zerosOperator(len: number): Uint32Array {
  // One zero bit, then squared up to one byte; then the binary powers of the byte count.
  let op: Uint32Array = new Uint32Array(GF2_DIM)
  op[0] = 0xedb88320
  for (let n = 1, row = 1; n < GF2_DIM; n++, row <<= 1) op[n] = row >>> 0
  op = square(op) // 2 bits
  op = square(op) // 4 bits
  let result: Uint32Array | undefined
  for (let n = len; n > 0; n = Math.floor(n / 2)) {
    op = square(op) // 8, 16, 32... bits: one byte, then doubling
    if (n % 2 === 1) result = result ? compose(op, result) : op
  }
  return result ?? identity()
}

function identity(): Uint32Array {
  const m = new Uint32Array(GF2_DIM)
  for (let n = 0; n < GF2_DIM; n++) m[n] = (1 << n) >>> 0
  return m
}

/** a after b. */
function compose(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(GF2_DIM)
  for (let n = 0; n < GF2_DIM; n++) out[n] = times(a, b[n]!)
  return out
}

const operators = new Map<number, Uint32Array>()
const MAX_CACHED = 256

/** crc32(A ++ B) from crc32(A), crc32(B) and B's length in bytes. */
export function crc32Combine(crcA: number, crcB: number, lenB: number): number {
  if (lenB === 0) return crcA >>> 0
  let op = operators.get(lenB)
  if (!op) {
    op = zerosOperator(lenB)
    if (operators.size >= MAX_CACHED) operators.clear()
    operators.set(lenB, op)
  }
  return (times(op, crcA >>> 0) ^ crcB) >>> 0
}
