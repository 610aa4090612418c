// Channels: [track/]risk[/branch]. A missing track is the package's default track ("latest").

export const RISKS = ['stable', 'candidate', 'beta', 'edge'] as const
export type Risk = (typeof RISKS)[number]

export interface Channel {
  readonly track: string
  readonly risk: Risk
  readonly branch: string
}

const TRACK = /^[a-zA-Z0-9](?:[a-zA-Z0-9_.-]{0,27})$/
const BRANCH = /^[a-zA-Z0-9](?:[a-zA-Z0-9_.-]{0,127})$/

function isRisk(s: string | undefined): s is Risk {
  return s !== undefined && (RISKS as readonly string[]).includes(s)
}

/** Parses a channel string; undefined when it is not one. */
export function parseChannel(text: string, defaultTrack = 'latest'): Channel | undefined {
  const parts = text.trim().split('/')
  if (parts.some((p) => p === '')) return undefined
  let track = defaultTrack
  let risk: string | undefined
  let branch = ''
  if (parts.length === 1) risk = parts[0]
  else if (parts.length === 2) {
    // "edge/fix" (risk/branch) or "14/edge" (track/risk)
    if (isRisk(parts[0]) && !isRisk(parts[1])) {
      risk = parts[0]
      branch = parts[1]!
    } else {
      track = parts[0]!
      risk = parts[1]
    }
  } else if (parts.length === 3) {
    track = parts[0]!
    risk = parts[1]
    branch = parts[2]!
  } else return undefined
  if (!isRisk(risk) || !TRACK.test(track) || (branch !== '' && !BRANCH.test(branch))) return undefined
  return { track, risk, branch }
}

/** "latest/stable", "14/edge/fix". */
export function formatChannel(c: Channel): string {
  return [c.track, c.risk, ...(c.branch ? [c.branch] : [])].join('/')
}

/** Charmhub's spelling: the latest track is omitted ("stable", "edge/fix", "14/edge"). */
export function shortChannel(c: Channel): string {
  return c.track === 'latest' ? [c.risk, ...(c.branch ? [c.branch] : [])].join('/') : formatChannel(c)
}

export function sameChannel(a: Channel, b: Channel): boolean {
  return a.track === b.track && a.risk === b.risk && a.branch === b.branch
}
