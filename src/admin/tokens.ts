// Admin tokens: HS256 JWTs signed with a key kept in <data-dir>/signing.key (created at first start,
// mode 0600), each with an id (jti) recorded in the database (docs/decisions/0017). The first start
// writes a token to <data-dir>/admin.token; a start that finds it dead (signing key rotated, or its
// id revoked) writes a fresh one in its place.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SignJWT, decodeJwt, errors, jwtVerify } from 'jose'
import type { TokenClaims } from '../catalog/admin-tokens.js'
import type { TokenStore } from '../catalog/operations-ports.js'

const ISSUER = 'airlock'
const AUDIENCE = 'airlock-admin'
/** Who the audit trail names for what the server does by itself (the bootstrap token). */
export const SERVER_ACTOR = { tokenId: '-', tokenName: 'server start' } as const

export const signingKeyPath = (dataDir: string): string => join(dataDir, 'signing.key')
export const adminTokenPath = (dataDir: string): string => join(dataDir, 'admin.token')

/** Reads the signing key; creates it when `create` and absent. Throws when absent otherwise. */
export function loadSigningKey(dataDir: string, create: boolean): Uint8Array {
  const p = signingKeyPath(dataDir)
  if (!existsSync(p)) {
    if (!create) throw new Error(`no signing key at ${p}: start the server once with this --data-dir, or pass --data-dir`)
    mkdirSync(dataDir, { recursive: true })
    writeFileSync(p, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' })
  }
  const key = Buffer.from(readFileSync(p, 'utf8').trim(), 'base64')
  if (key.length < 32) throw new Error(`signing key at ${p} is too short`)
  return new Uint8Array(key)
}

export interface SignedToken {
  readonly id: string
  readonly token: string
  readonly issuedAt: number
  readonly expiresAt: number | undefined
}

/** Signs a token with a fresh id; `ttlSeconds` undefined means no expiry (the bootstrap token). */
export async function signToken(
  key: Uint8Array,
  opts: { ttlSeconds?: number | undefined; name?: string | undefined } = {},
): Promise<SignedToken> {
  const id = randomBytes(12).toString('hex')
  const issuedAt = Math.floor(Date.now() / 1000)
  const expiresAt = opts.ttlSeconds === undefined ? undefined : issuedAt + opts.ttlSeconds
  const jwt = new SignJWT(opts.name ? { name: opts.name } : {})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('admin')
    .setIssuedAt(issuedAt)
    .setJti(id)
  if (expiresAt !== undefined) jwt.setExpirationTime(expiresAt)
  return { id, token: await jwt.sign(key), issuedAt, expiresAt }
}

/** A signed token, not yet recorded (tests; the server records what it mints). */
export async function createToken(key: Uint8Array, opts: { ttlSeconds?: number | undefined; name?: string } = {}): Promise<string> {
  return (await signToken(key, opts)).token
}

export type Verified = { readonly ok: true; readonly claims: TokenClaims } | { readonly ok: false; readonly message: string }

const claimsOf = (p: { jti?: string | undefined; iat?: number | undefined; exp?: number | undefined; name?: unknown }): TokenClaims => ({
  id: p.jti,
  issuedAt: p.iat,
  expiresAt: p.exp,
  name: typeof p.name === 'string' ? p.name : undefined,
})

/** Checks signature, issuer, audience and expiry; says which failed (an expired token is named as such). */
export async function verifyToken(key: Uint8Array, token: string): Promise<Verified> {
  try {
    const { payload } = await jwtVerify(token, key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] })
    return { ok: true, claims: claimsOf(payload) }
  } catch (err) {
    if (err instanceof errors.JWTExpired) {
      const c = claimsOf(err.payload)
      return {
        ok: false,
        message:
          `admin token ${c.id ?? ''} expired at ${c.expiresAt ? new Date(c.expiresAt * 1000).toISOString() : '?'}; mint a new one with \`airlock token create\``.replace(
            'token  ',
            'token ',
          ),
      }
    }
    return { ok: false, message: 'a valid admin token is required (Authorization: Bearer <token>)' }
  }
}

function writeTokenFile(p: string, token: string): void {
  // Written aside and renamed: a reader never sees half a token, a crash never leaves none.
  const tmp = `${p}.${process.pid}.tmp`
  writeFileSync(tmp, token + '\n', { mode: 0o600 })
  renameSync(tmp, p)
}

/**
 * Makes sure <data-dir>/admin.token holds a token that works: writes one at first start, replaces a
 * dead one (signed with an older key, or revoked), and records it in the database as "bootstrap".
 */
export async function prepareAdminToken(
  dataDir: string,
  key: Uint8Array,
  tokens: TokenStore,
): Promise<{ path: string; outcome: 'created' | 'kept' | 'replaced'; reason?: string }> {
  const p = adminTokenPath(dataDir)
  let reason: string | undefined
  if (existsSync(p)) {
    const text = readFileSync(p, 'utf8').trim()
    const v = await verifyToken(key, text)
    if (v.ok && v.claims.id) {
      const rec = await tokens.get(v.claims.id)
      if (!rec) {
        await tokens.register({
          id: v.claims.id,
          name: 'bootstrap',
          createdAt: new Date((v.claims.issuedAt ?? Date.now() / 1000) * 1000),
          expiresAt: null,
        })
        return { path: p, outcome: 'kept' }
      }
      if (!rec.revokedAt) return { path: p, outcome: 'kept' }
      reason = `its id ${rec.id} was revoked`
    } else {
      let id = ''
      try {
        id = decodeJwt(text).jti ?? ''
      } catch {
        /* not a JWT at all */
      }
      reason = v.ok ? 'it has no id' : `it does not verify with the current signing key${id ? ` (id ${id})` : ''}`
    }
  }
  const s = await signToken(key, { name: 'bootstrap' })
  await tokens.transaction(async (w) => {
    await w.insert({ id: s.id, name: 'bootstrap', createdAt: new Date(s.issuedAt * 1000), expiresAt: null })
    await w.record(SERVER_ACTOR, {
      action: 'token-create',
      detail: { id: s.id, name: 'bootstrap', expires: null, ...(reason ? { replaced: reason } : {}) },
    })
  })
  writeTokenFile(p, s.token)
  return reason ? { path: p, outcome: 'replaced', reason } : { path: p, outcome: 'created' }
}
