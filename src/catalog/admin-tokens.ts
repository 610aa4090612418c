// Admin tokens as records (docs/decisions/0017): a token counts while its signature verifies, it
// has not expired, and its id is not revoked in the database. Tokens minted before tokens were
// recorded are registered at first use, so they can be listed and revoked from then on.
import { InvalidInput, NotFound } from './errors.js'
import type { Actor, TokenRecord, TokenStore } from './operations-ports.js'

/** What a verified token says about itself. */
export interface TokenClaims {
  readonly id?: string | undefined
  readonly name?: string | undefined
  readonly issuedAt?: number | undefined // seconds since the epoch
  readonly expiresAt?: number | undefined
}

export type Authorization = { readonly ok: true; readonly actor: Actor } | { readonly ok: false; readonly message: string }

/** last_used_at is written at most this often per token: every request reads, few write. */
const TOUCH_EVERY_MS = 60_000

const secondsToDate = (s: number | undefined): Date | null => (s === undefined ? null : new Date(s * 1000))

export async function authorize(store: TokenStore, claims: TokenClaims, now = new Date()): Promise<Authorization> {
  if (!claims.id) return { ok: false, message: 'this admin token has no id (jti); mint a new one with `airlock token create`' }
  let rec = await store.get(claims.id)
  if (!rec) {
    await store.register({
      id: claims.id,
      name: claims.name ?? '',
      createdAt: secondsToDate(claims.issuedAt) ?? now,
      expiresAt: secondsToDate(claims.expiresAt),
    })
    rec = await store.get(claims.id)
    if (!rec) return { ok: false, message: `admin token ${claims.id} could not be registered` }
  }
  if (rec.revokedAt) return { ok: false, message: `admin token ${rec.id} was revoked at ${rec.revokedAt}` }
  if (!rec.lastUsedAt || now.getTime() - Date.parse(rec.lastUsedAt) >= TOUCH_EVERY_MS) await store.touch(rec.id)
  return { ok: true, actor: { tokenId: rec.id, tokenName: rec.name } }
}

const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._@:+-]{0,63}$/u

export function checkTokenName(name: string | undefined): string {
  if (name === undefined || name === '') return ''
  if (!NAME.test(name))
    throw new InvalidInput(
      { field: '--name' },
      `${JSON.stringify(name)} is not a token name: up to 64 letters, digits, spaces and . _ @ : + -`,
    )
  return name
}

export interface MintedToken {
  readonly id: string
  readonly name: string
  readonly token: string
  readonly createdAt: string
  readonly expiresAt: string | null
}

/** Signs a token and records it with an audit entry; `sign` holds the key (admin/tokens.ts). */
export async function mintToken(
  store: TokenStore,
  actor: Actor,
  sign: (o: {
    name: string
    ttlSeconds: number | undefined
  }) => Promise<{ id: string; token: string; issuedAt: number; expiresAt: number | undefined }>,
  o: { name?: string | undefined; ttlSeconds?: number | undefined },
): Promise<MintedToken> {
  const name = checkTokenName(o.name)
  if (o.ttlSeconds !== undefined && (!Number.isSafeInteger(o.ttlSeconds) || o.ttlSeconds <= 0))
    throw new InvalidInput({ field: '--ttl' }, `${JSON.stringify(o.ttlSeconds)} is not a lifetime in seconds`)
  const s = await sign({ name, ttlSeconds: o.ttlSeconds })
  const createdAt = new Date(s.issuedAt * 1000)
  const expiresAt = secondsToDate(s.expiresAt)
  await store.transaction(async (w) => {
    await w.insert({ id: s.id, name, createdAt, expiresAt })
    await w.record(actor, { action: 'token-create', detail: { id: s.id, name, expires: expiresAt?.toISOString() ?? null } })
  })
  return { id: s.id, name, token: s.token, createdAt: createdAt.toISOString(), expiresAt: expiresAt?.toISOString() ?? null }
}

/** Revokes a token id; revoking it again is done, not an error. */
export async function revokeToken(store: TokenStore, actor: Actor, id: string): Promise<{ token: TokenRecord; already: boolean }> {
  return store.transaction(async (w) => {
    const rec = await w.get(id)
    if (!rec) throw new NotFound(`no admin token with id ${JSON.stringify(id)} (see \`airlock token list\`)`)
    if (rec.revokedAt) return { token: rec, already: true }
    await w.revoke(id)
    await w.record(actor, { action: 'token-revoke', detail: { id, name: rec.name } })
    return { token: (await w.get(id))!, already: false }
  })
}
