// The Snap Store API as snapd calls it for `snap download`: POST /v2/snaps/refresh with an install
// action by channel or revision, the architecture in Snap-Device-Architecture, series 16, as
// snapd sends them. The answer's snap object is checked for what the download and the assertion
// cross-check need, and kept verbatim for the export's JSON.
import { ExportError } from './errors.js'
import { requestJson, storeErrorText, type HttpOptions } from './http.js'

export interface ResolvedSnap {
  readonly name: string
  readonly snapId: string
  readonly revision: number
  readonly architecture: string
  readonly effectiveChannel?: string | undefined
  readonly download: { readonly url: string; readonly size: number; readonly sha3_384: string }
  readonly snap: Record<string, unknown>
}

const FIELDS = [
  'architectures',
  'base',
  'confinement',
  'links',
  'contact',
  'created-at',
  'description',
  'download',
  'epoch',
  'license',
  'name',
  'prices',
  'private',
  'publisher',
  'revision',
  'snap-id',
  'snap-yaml',
  'summary',
  'title',
  'type',
  'version',
  'website',
  'store-url',
  'media',
  'common-ids',
  'categories',
]

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v)

function bad(field: string, problem: string): never {
  throw new ExportError(`the store's refresh answer is malformed: ${field} ${problem}`)
}

export class SnapStoreClient {
  constructor(
    readonly base: string,
    readonly http: HttpOptions,
  ) {}

  async resolve(name: string, want: { channel?: string; revision?: number }, architecture: string): Promise<ResolvedSnap> {
    const action = {
      action: 'install',
      'instance-key': 'install-1',
      name,
      epoch: null,
      ...(want.revision !== undefined ? { revision: want.revision } : { channel: want.channel ?? 'stable' }),
    }
    const headers = {
      'snap-device-architecture': architecture,
      'snap-device-series': '16',
      'snap-classic': 'true',
      'snap-device-capabilities': 'default-tracks',
    }
    const { status, json } = await requestJson(
      'POST',
      `${this.base}/v2/snaps/refresh`,
      { context: [], actions: [action], fields: FIELDS },
      headers,
      this.http,
    )
    const what = want.revision !== undefined ? `revision ${want.revision}` : `channel ${want.channel ?? 'stable'}`
    if (status !== 200)
      throw new ExportError(`the store answered HTTP ${status}${storeErrorText(json) ? ` (${storeErrorText(json)})` : ''}`)
    if (!isObj(json)) bad('the answer', 'is not a JSON object')
    const result = Array.isArray(json.results)
      ? json.results.find((r: unknown) => isObj(r) && r['instance-key'] === 'install-1')
      : undefined
    if (!isObj(result)) {
      const top = storeErrorText(json)
      if (top) throw new ExportError(top)
      bad('results', 'has no result for the request')
    }
    if (isObj(result.error)) {
      const code = String(result.error.code ?? '')
      if (code === 'name-not-found' || code === 'id-not-found') throw new ExportError(`not found in ${this.base}`)
      throw new ExportError(`no revision for ${what} on ${architecture} (${code}: ${String(result.error.message ?? '')})`)
    }
    const s = result.snap
    if (!isObj(s)) bad('snap', 'is missing')
    if (typeof s['snap-id'] !== 'string' || s['snap-id'] === '') bad('snap.snap-id', 'is missing')
    if (s.name !== name) bad('snap.name', `is ${JSON.stringify(s.name)}, not ${JSON.stringify(name)}`)
    if (typeof s.revision !== 'number' || !Number.isInteger(s.revision) || s.revision < 1) bad('snap.revision', 'is not a revision')
    const d = s.download
    if (!isObj(d) || typeof d.url !== 'string' || d.url === '') bad('snap.download.url', 'is missing')
    if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) bad('snap.download.size', 'is not a size')
    if (typeof d['sha3-384'] !== 'string' || !/^[0-9a-f]{96}$/.test(d['sha3-384']))
      bad('snap.download.sha3-384', 'is not a sha3-384 hex digest')
    return {
      name,
      snapId: s['snap-id'],
      revision: s.revision,
      architecture,
      effectiveChannel: typeof result['effective-channel'] === 'string' ? result['effective-channel'] : undefined,
      download: { url: d.url, size: d.size, sha3_384: d['sha3-384'] },
      snap: s,
    }
  }
}
