// The trusted roots as `airlock status` shows them: one line per root account, with its keys.
import { headerString } from './parse.js'
import type { TrustedRoots } from './roots.js'

export interface RootSummary {
  readonly accountId: string
  readonly username: string
  /** sha3-384 ids of the account's trusted keys. */
  readonly keys: readonly string[]
}

export function summariseRoots(roots: TrustedRoots): RootSummary[] {
  const out = new Map<string, { accountId: string; username: string; keys: string[] }>()
  const entry = (id: string) => {
    let e = out.get(id)
    if (!e) {
      e = { accountId: id, username: '', keys: [] }
      out.set(id, e)
    }
    return e
  }
  for (const a of roots.assertions) {
    if (a.type.name === 'account') entry(a.primaryKey[0] ?? '').username = headerString(a, 'username') ?? ''
    else entry(headerString(a, 'account-id') ?? '').keys.push(a.primaryKey[0] ?? '')
  }
  return [...out.values()]
}
