// Flags shared by the operations commands, checked before anything is sent (usage errors exit 2).
import { CliError } from '../admin-client.js'

export const PACKAGE_TYPES = ['charm', 'bundle', 'snap'] as const
export type PackageTypeFlag = (typeof PACKAGE_TYPES)[number]

export function typeFlag(value: string | undefined): PackageTypeFlag | undefined {
  if (value === undefined) return undefined
  if (!(PACKAGE_TYPES as readonly string[]).includes(value))
    throw new CliError(`invalid --type ${JSON.stringify(value)}: expected charm, bundle or snap`, 2)
  return value as PackageTypeFlag
}

export function revisionArg(value: string, what: string): number {
  if (!/^[1-9]\d{0,8}$/.test(value))
    throw new CliError(`invalid ${what} ${JSON.stringify(value)}: expected a revision number, such as 7`, 2)
  return Number(value)
}

export const collect = (v: string, all: string[]): string[] => [...all, v]
