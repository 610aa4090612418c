// Reads a whole (small, test-made) tar archive into a map of member name → bytes.
import tar from 'tar-stream'

export async function untar(buf: Buffer): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>()
  const ex = tar.extract()
  const done = new Promise<void>((ok, fail) => {
    ex.on('finish', ok)
    ex.on('error', fail)
  })
  ex.on('entry', (h, stream, next) => {
    const parts: Buffer[] = []
    stream.on('data', (c: unknown) => parts.push(c as Buffer))
    stream.on('end', () => {
      out.set(h.name, Buffer.concat(parts))
      next()
    })
  })
  ex.end(buf)
  await done
  return out
}
