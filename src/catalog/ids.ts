// Store ids: 32 characters [A-Za-z0-9], as Charmhub and the Snap Store use.
import { randomInt } from 'node:crypto'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
export const STORE_ID = /^[A-Za-z0-9]{32}$/

export function isStoreId(s: unknown): s is string {
  return typeof s === 'string' && STORE_ID.test(s)
}

export function newStoreId(): string {
  let s = ''
  for (let i = 0; i < 32; i++) s += ALPHABET[randomInt(ALPHABET.length)]
  return s
}

// Charm names as Juju validates them (charm v12 IsValidName).
export const CHARM_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]*[a-z][a-z0-9]*)*$/
