// Bases (OS name + channel) and architectures, as Juju validates them in a charm's manifest.yaml
// (charm v12 base.go Validate; juju/utils arch.AllSupportedArches). docs/protocol/charmhub.md §12.

export const OS_NAMES = ['ubuntu', 'centos', 'windows', 'osx', 'opensuse', 'genericlinux'] as const
export const ARCHITECTURES = ['amd64', 'i386', 'armhf', 'arm64', 'ppc64el', 's390x', 'riscv64'] as const

export interface Base {
  readonly name: string
  readonly channel: string
  readonly architecture: string
}

// Ubuntu series names, for charms that still declare `series:` instead of manifest bases
// (mirrors Juju's ComputedBases fallback).
const SERIES: Record<string, string> = {
  precise: '12.04',
  trusty: '14.04',
  xenial: '16.04',
  bionic: '18.04',
  cosmic: '18.10',
  disco: '19.04',
  eoan: '19.10',
  focal: '20.04',
  groovy: '20.10',
  hirsute: '21.04',
  impish: '21.10',
  jammy: '22.04',
  kinetic: '22.10',
  lunar: '23.04',
  mantic: '23.10',
  noble: '24.04',
  oracular: '24.10',
  plucky: '25.04',
  questing: '25.10',
  resolute: '26.04',
}

export function seriesToChannel(series: string): string | undefined {
  return SERIES[series]
}

export function isArchitecture(a: string): boolean {
  return (ARCHITECTURES as readonly string[]).includes(a)
}

export function isOsName(n: string): boolean {
  return (OS_NAMES as readonly string[]).includes(n)
}

/** Juju spells bases "ubuntu@22.04"; the architecture is shown separately. */
export function formatBase(b: Base): string {
  return `${b.name}@${b.channel}/${b.architecture}`
}

export function sameBase(a: Base, b: Base): boolean {
  return a.name === b.name && a.channel === b.channel && a.architecture === b.architecture
}

export function uniqueBases(bases: readonly Base[]): Base[] {
  const out: Base[] = []
  for (const b of bases) if (!out.some((o) => sameBase(o, b))) out.push(b)
  return out
}
