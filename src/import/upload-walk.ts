// The outermost walk of an uploaded export, shared by every importer: charges the upload's bytes to
// the export's UnpackBudget, and when the walk is refused reads the rest of the upload, so the client
// gets the refusal rather than a stalled request.
import type { ImportLimits } from '../config/schema.js'
import { UnpackBudget } from './budget.js'
import { walkTar, type TarMember, type WalkContext } from './tar-entries.js'

export async function walkUpload(
  input: AsyncIterable<Buffer>,
  file: string,
  limits: ImportLimits,
  visit: (m: TarMember, ctx: WalkContext) => Promise<void>,
): Promise<void> {
  const budget = new UnpackBudget(limits)
  // Not `for await`: leaving that early (a refused export) destroys the upload stream, and then
  // the request can neither be drained nor answered cleanly. The rest is drained below instead.
  const source = input[Symbol.asyncIterator]()
  const counted = (async function* () {
    for (let r = await source.next(); !r.done; r = await source.next()) {
      budget.addPacked(r.value.length)
      yield r.value
    }
  })()
  const root: WalkContext = { file, chain: [], depth: 1, limits, budget }
  try {
    await walkTar(counted, root, (m) => visit(m, root))
    // To the end of the upload, past the tar's own end: an upload cut short (size limit, client
    // gone) fails there, before anything is committed.
    while (!(await source.next()).done) {
      /* trailing padding */
    }
  } catch (err) {
    try {
      while (!(await source.next()).done) {
        /* discard */
      }
    } catch {
      /* the upload itself failed */
    }
    throw err
  }
}
