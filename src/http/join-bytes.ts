// One Buffer from strings (UTF-8) and Buffers, for answers assembled from cached parts: the parts are
// copied once into a buffer of the exact size, instead of concatenating strings that Node then
// flattens and encodes again on the way to the socket.
export function joinBytes(parts: ReadonlyArray<string | Buffer>): Buffer {
  let size = 0
  for (const p of parts) size += typeof p === 'string' ? Buffer.byteLength(p) : p.length
  const out = Buffer.allocUnsafe(size)
  let at = 0
  for (const p of parts) at += typeof p === 'string' ? out.write(p, at) : p.copy(out, at)
  return out
}
