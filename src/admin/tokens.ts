// Admin tokens: HS256 JWTs signed with a key kept in <data-dir>/signing.key (created at first start,
// mode 0600). The first start also writes a token to <data-dir>/admin.token.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SignJWT, errors, jwtVerify } from 'jose'

const ISSUER = 'airlock'
const AUDIENCE = 'airlock-admin'

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

/** Mints a token; `ttlSeconds` undefined means no expiry (the bootstrap token). */
export async function createToken(key: Uint8Array, opts: { ttlSeconds?: number | undefined; subject?: string } = {}): Promise<string> {
  const jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer(ISSUER).setAudience(AUDIENCE)
    .setSubject(opts.subject ?? 'admin').setIssuedAt().setJti(randomBytes(12).toString('hex'))
  if (opts.ttlSeconds !== undefined) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + opts.ttlSeconds)
  return jwt.sign(key)
}

export async function verifyToken(key: Uint8Array, token: string): Promise<boolean> {
  return (await tokenProblem(key, token)) === undefined
}

/** Why a token is refused: undefined when it is valid; its expiry time (ISO) when only that is wrong. */
export async function tokenProblem(key: Uint8Array, token: string): Promise<undefined | { expired: string } | 'invalid'> {
  try {
    await jwtVerify(token, key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] })
    return undefined
  } catch (err) {
    // jose checks the signature before the claims: an expired token here is one this server minted.
    if (err instanceof errors.JWTExpired && typeof err.payload.exp === 'number') return { expired: new Date(err.payload.exp * 1000).toISOString() }
    return 'invalid'
  }
}

/** Writes the bootstrap admin token at first start; returns its path and whether it was new. */
export async function ensureAdminToken(dataDir: string, key: Uint8Array): Promise<{ path: string; created: boolean }> {
  const p = adminTokenPath(dataDir)
  if (existsSync(p)) return { path: p, created: false }
  writeFileSync(p, (await createToken(key)) + '\n', { mode: 0o600, flag: 'wx' })
  return { path: p, created: true }
}
