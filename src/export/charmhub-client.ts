// Charmhub's API as Juju calls it (POST /v2/charms/refresh install actions by channel and base, with
// the fall-backs Juju makes on invalid-charm-base and revision-not-found), plus GET /v2/charms/info
// for the channel map store-admin keeps in metadata.json. Answers are checked for the fields the
// export relies on; anything else is kept as the store sent it.
import { ExportError } from './errors.js'
import { requestJson, storeErrorText, type HttpOptions } from './http.js'

export interface Base {
  readonly name: string
  readonly channel: string
  readonly architecture: string
}

export interface DownloadInfo {
  readonly url: string
  readonly size: number
  readonly sha256?: string | undefined
  readonly sha384?: string | undefined
}

export interface ResourceInfo {
  readonly name: string
  readonly type: string
  readonly revision: number
  readonly download: DownloadInfo
}

export interface ResolvedCharm {
  readonly name: string
  readonly id: string
  readonly type: 'charm' | 'bundle'
  readonly revision: number
  readonly effectiveChannel: string
  readonly base: Base
  readonly download: DownloadInfo
  readonly resources: readonly ResourceInfo[]
  readonly publisherId?: string | undefined
  /** The refresh result's entity, verbatim, for metadata.json. */
  readonly entity: Record<string, unknown>
}

// The fields Juju 4.0 asks for; they also cover everything store-admin keeps.
const FIELDS = [
  'actions-yaml',
  'bases',
  'config-yaml',
  'download',
  'id',
  'license',
  'metadata-yaml',
  'name',
  'publisher',
  'resources',
  'revision',
  'summary',
  'type',
  'version',
]
const INFO_FIELDS = ['channel-map', 'default-release', 'result']

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v)
const HEX64 = /^[0-9a-f]{64}$/
const HEX96 = /^[0-9a-f]{96}$/

function bad(field: string, problem: string): never {
  throw new ExportError(`the store's refresh answer is malformed: ${field} ${problem}`)
}

function downloadOf(d: unknown, field: string, needSha256: boolean): DownloadInfo {
  if (!isObj(d)) bad(field, 'is missing')
  if (typeof d.url !== 'string' || d.url === '') bad(`${field}.url`, 'is missing')
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) bad(`${field}.size`, 'is not a size')
  const sha256 = d['hash-sha-256']
  const sha384 = d['hash-sha-384']
  if (sha256 !== undefined && (typeof sha256 !== 'string' || !HEX64.test(sha256)))
    bad(`${field}.hash-sha-256`, 'is not a sha256 hex digest')
  if (sha384 !== undefined && (typeof sha384 !== 'string' || !HEX96.test(sha384)))
    bad(`${field}.hash-sha-384`, 'is not a sha384 hex digest')
  if (needSha256 && sha256 === undefined) bad(`${field}.hash-sha-256`, 'is missing')
  return { url: d.url, size: d.size, sha256: sha256 as string | undefined, sha384: sha384 as string | undefined }
}

function resourcesOf(list: unknown): ResourceInfo[] {
  if (list === undefined || list === null) return []
  if (!Array.isArray(list)) bad('charm.resources', 'is not a list')
  return list.map((r: unknown, i) => {
    const f = `charm.resources[${i}]`
    if (!isObj(r) || typeof r.name !== 'string') bad(`${f}.name`, 'is missing')
    if (typeof r.revision !== 'number' || !Number.isInteger(r.revision) || r.revision < 0) bad(`${f}.revision`, 'is not a revision')
    const d = downloadOf(r.download, `${f}.download`, false)
    if (d.sha256 === undefined && d.sha384 === undefined) bad(`${f}.download`, 'has no hash to verify it by')
    return { name: r.name, type: typeof r.type === 'string' ? r.type : 'file', revision: r.revision, download: d }
  })
}

export class CharmhubClient {
  constructor(
    readonly base: string,
    readonly http: HttpOptions,
  ) {}

  private async refresh(action: Obj, what: string): Promise<Obj> {
    const body = { context: [], actions: [{ 'instance-key': 'export-1', ...action }], fields: FIELDS }
    const { status, json } = await requestJson('POST', `${this.base}/v2/charms/refresh`, body, {}, this.http)
    if (status === 404) throw new ExportError(`${what}: not found in ${this.base} (${storeErrorText(json) ?? 'HTTP 404'})`)
    if (status !== 200)
      throw new ExportError(`${what}: the store answered HTTP ${status}${storeErrorText(json) ? ` (${storeErrorText(json)})` : ''}`)
    if (!isObj(json)) bad('the answer', 'is not a JSON object')
    const top = storeErrorText(json)
    if (top && (!Array.isArray(json.results) || json.results.length === 0)) throw new ExportError(`${what}: ${top}`)
    const result = Array.isArray(json.results) ? json.results.find((r: unknown) => isObj(r) && r['instance-key'] === 'export-1') : undefined
    if (!isObj(result)) bad('results', 'has no result for the request')
    return result
  }

  /**
   * The revision a Juju deploy of `name` from `channel` on `base` gets. Like Juju: with no usable
   * base the store names default bases and the first of the same architecture is tried; with no
   * release for the base, the nearest base released to the same channel is.
   */
  async resolve(
    name: string,
    channel: string,
    base: Base,
    resourceRevisions?: ReadonlyArray<{ name: string; revision: number }>,
  ): Promise<ResolvedCharm> {
    const what = `charm ${name}`
    let tryBase = base
    for (let round = 0; ; round++) {
      const result = await this.refresh({ action: 'install', name, channel, base: tryBase }, what)
      const err = result.error
      if (isObj(err)) {
        const code = String(err.code ?? '')
        const extra = isObj(err.extra) ? err.extra : {}
        const next = round === 0 ? fallbackBase(code, extra, channel, tryBase) : undefined
        if (next) {
          tryBase = next
          continue
        }
        if (code === 'name-not-found' || code === 'not-found' || code === 'id-not-found')
          throw new ExportError(`${what}: not found in ${this.base}`)
        const releases = Array.isArray(extra.releases)
          ? extra.releases.filter(isObj).map((r) => `${String(r.channel)} on ${baseText(r.base)}`)
          : []
        throw new ExportError(
          `${what}: no revision in channel ${channel} for ${baseText(tryBase)} (${code}${releases.length ? `; released: ${releases.join(', ')}` : `: ${String(err.message ?? '')}`})`,
        )
      }
      const resolved = this.entity(result, tryBase)
      if (!resourceRevisions?.length) return resolved
      // Pinned resource revisions (a bundle's `resources: {name: N}`): ask for them by revision, as Juju does.
      const pinned = await this.refresh(
        { action: 'download', id: resolved.id, revision: resolved.revision, base: null, 'resource-revisions': resourceRevisions },
        what,
      )
      if (isObj(pinned.error))
        throw new ExportError(
          `${what}: resource revisions ${resourceRevisions.map((r) => `${r.name}=${r.revision}`).join(', ')}: ${String(pinned.error.message ?? pinned.error.code)}`,
        )
      return { ...resolved, resources: this.entity(pinned, tryBase).resources }
    }
  }

  private entity(result: Obj, base: Base): ResolvedCharm {
    const e = result.charm ?? result.entity
    if (!isObj(e)) bad('charm', 'is missing')
    if (typeof e.id !== 'string' || e.id === '') bad('charm.id', 'is missing')
    if (typeof e.name !== 'string' || e.name === '') bad('charm.name', 'is missing')
    if (typeof e.revision !== 'number' || !Number.isInteger(e.revision) || e.revision < 1) bad('charm.revision', 'is not a revision')
    const type = e.type === 'bundle' ? 'bundle' : 'charm'
    const publisher = isObj(e.publisher) && typeof e.publisher.id === 'string' ? e.publisher.id : undefined
    const eff =
      typeof result['effective-channel'] === 'string' && result['effective-channel'] !== '' ? result['effective-channel'] : 'stable'
    return {
      name: e.name,
      id: e.id,
      type,
      revision: e.revision,
      effectiveChannel: eff,
      base,
      download: downloadOf(e.download, 'charm.download', true),
      resources: resourcesOf(e.resources),
      publisherId: publisher,
      entity: e,
    }
  }

  /** The info answer (channel map, default release, publisher, links), verbatim for metadata.json. */
  async info(name: string): Promise<Obj> {
    const { status, json } = await requestJson(
      'GET',
      `${this.base}/v2/charms/info/${encodeURIComponent(name)}?fields=${INFO_FIELDS.join(',')}`,
      undefined,
      {},
      this.http,
    )
    if (status !== 200)
      throw new ExportError(
        `charm ${name}: the store's info answered HTTP ${status}${storeErrorText(json) ? ` (${storeErrorText(json)})` : ''}`,
      )
    if (!isObj(json) || json.name !== name) throw new ExportError(`charm ${name}: the store's info answer is malformed (no matching name)`)
    return json
  }
}

function baseText(b: unknown): string {
  return isObj(b) ? `${String(b.name)}@${String(b.channel)}/${String(b.architecture)}` : String(b)
}

/** Juju normalises away the "latest/" track; compare channels in that form. */
function sameChannel(a: string, b: string): boolean {
  const norm = (c: string) => (c.startsWith('latest/') ? c.slice('latest/'.length) : c)
  return norm(a) === norm(b)
}

/** The base Juju would retry with after an install error, or undefined when there is none. */
export function fallbackBase(code: string, extra: Obj, channel: string, base: Base): Base | undefined {
  if (code === 'invalid-charm-base' || code === 'invalid-charm-platform') {
    const list = Array.isArray(extra['default-bases']) ? extra['default-bases'].filter(isObj) : []
    const b = list.find((x) => x.architecture === base.architecture || x.architecture === 'all')
    return b ? { name: String(b.name), channel: String(b.channel), architecture: base.architecture } : undefined
  }
  if (code !== 'revision-not-found' || !Array.isArray(extra.releases)) return undefined
  const candidates = extra.releases
    .filter(isObj)
    .filter(
      (r) =>
        typeof r.channel === 'string' &&
        sameChannel(r.channel, channel) &&
        isObj(r.base) &&
        (r.base.architecture === base.architecture || r.base.architecture === 'all'),
    )
    .map((r) => r.base as Obj)
    .filter((b) => b.name === base.name || base.name === 'NA')
  // The nearest Ubuntu release; between two as near, the newer (store-admin's "nearest LTS").
  const distance = (b: Obj) => Math.abs(Number(b.channel) - Number(base.channel)) || 0
  candidates.sort((x, y) => distance(x) - distance(y) || Number(y.channel) - Number(x.channel))
  const b = candidates[0]
  return b ? { name: String(b.name), channel: String(b.channel), architecture: base.architecture } : undefined
}
