// `export snaps --from-yaml FILE`: packages: [{name, revision, push_channel}], store-admin's input,
// each entry one revision to export and the channel it goes to on import.
import { readFile } from 'node:fs/promises'
import { parseChannel } from '../catalog/channel.js'
import { InvalidInput } from '../catalog/errors.js'
import { parseYamlMapping } from '../import/yaml-text.js'
import { ExportError } from './errors.js'

export interface SnapPackage {
  readonly name: string
  readonly revision: number
  readonly pushChannel: string
}

export async function readSnapsYaml(file: string): Promise<SnapPackage[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new ExportError(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  let doc: Record<string, unknown>
  try {
    doc = parseYamlMapping(text, { file })
  } catch (err) {
    throw err instanceof InvalidInput ? new ExportError(err.message) : err
  }
  const list = doc.packages
  if (!Array.isArray(list) || list.length === 0)
    throw new ExportError(`${file} (packages): expected a list of {name, revision, push_channel}`)
  return list.map((p: unknown, i) => {
    const at = `${file} (packages[${i}]`
    if (p === null || typeof p !== 'object' || Array.isArray(p)) throw new ExportError(`${at}): expected a mapping`)
    const e = p as Record<string, unknown>
    if (typeof e.name !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(e.name)) throw new ExportError(`${at}.name): expected a snap name`)
    if (typeof e.revision !== 'number' || !Number.isInteger(e.revision) || e.revision < 1)
      throw new ExportError(`${at}.revision): expected a positive revision number`)
    const push = e.push_channel ?? 'latest/stable'
    if (typeof push !== 'string' || !parseChannel(push))
      throw new ExportError(`${at}.push_channel): ${JSON.stringify(push)} is not a channel`)
    return { name: e.name, revision: e.revision, pushChannel: push }
  })
}
