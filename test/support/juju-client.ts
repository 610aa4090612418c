// A Juju-faithful Charmhub client for end-to-end tests: the same calls, retries and checks that
// Juju 3.6 and 4.0 make (docs/protocol/charmhub.md §3, §4.2, §5.6, §9), against a live server.
import { createHash } from 'node:crypto'
import { Value } from '@sinclair/typebox/value'
import * as S from '../../src/charmhub/schemas.js'
import {
  installByChannel,
  installByRevision,
  downloadByRevision,
  refreshOne,
  JUJU_HEADERS,
  type JujuVersion,
  type BaseArg,
} from './juju-requests.js'

export class JujuError extends Error {}

export class JujuClient {
  constructor(
    readonly url: string,
    readonly version: JujuVersion,
  ) {}

  private async post(body: unknown): Promise<any> {
    const res = await fetch(`${this.url}/v2/charms/refresh`, {
      method: 'POST',
      headers: JUJU_HEADERS(this.version),
      body: JSON.stringify(body) + '\n',
    })
    const ct = res.headers.get('content-type')
    if (res.status >= 400 && res.status < 500 && ct !== 'application/json')
      throw new JujuError(`unexpected content-type from server "${ct}"`)
    if (res.status >= 500) throw new JujuError(`server error "${this.url}"`)
    const json: any = await res.json()
    const errors = [...Value.Errors(S.RefreshResponse, json)]
    if (errors.length) throw new JujuError(`json: cannot unmarshal: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`)
    const keys = (body as { actions: Array<{ 'instance-key': string }> }).actions.map((a) => a['instance-key'])
    for (const k of keys)
      if (!json.results.some((r: any) => r['instance-key'] === k)) throw new JujuError(`missing response: ${k} action key not valid`)
    return json
  }

  /** ResolveWithPreferredChannel: install by channel; on invalid-charm-base retry with the first default base for the arch. */
  async resolve(name: string, channel: string, base: BaseArg): Promise<any> {
    let json = await this.post(installByChannel(this.version, name, channel, base))
    let r = json.results[0]
    if (r.error?.code === 'invalid-charm-base') {
      const next = r.error.extra['default-bases'].find((b: BaseArg) => b.architecture === base.architecture)
      if (!next) throw new JujuError('no default base')
      json = await this.post(installByChannel(this.version, name, channel, next))
      r = json.results[0]
      if (r.error) throw new JujuError(`resolving retry error: ${r.error.message}`)
    }
    if (r.error) throw new JujuError(`${r.error.code}: ${r.error.message}`)
    if (r.charm.type === 'charm' && !r.charm['metadata-yaml'])
      throw new JujuError(`charmhub refresh response for "${name}" does not include the contents of metadata.yaml`)
    return r
  }

  async installByRevision(name: string, revision: number): Promise<any> {
    const r = (await this.post(installByRevision(this.version, name, revision))).results[0]
    if (r.error) throw new JujuError(`${r.error.code}: ${r.error.message}`)
    return r
  }

  async refresh(id: string, revision: number, tracking: string, base: BaseArg): Promise<any> {
    return (await this.post(refreshOne(this.version, id, revision, tracking, base))).results[0]
  }

  async resourceDownload(id: string, revision: number, resources: Array<{ name: string; revision: number }>): Promise<any> {
    const r = (await this.post(downloadByRevision(this.version, id, revision, resources))).results[0]
    if (r.error) throw new JujuError(`${r.error.code}: ${r.error.message}`)
    return r
  }

  /** downloadFromURL: 200 only, Content-Length must match (4.0), then the hash check. */
  async fetchVerified(url: string, expect: { size: number; sha256?: string; sha384?: string }): Promise<Buffer> {
    const res = await fetch(url, { headers: { 'accept-encoding': 'gzip' } })
    if (res.status !== 200) throw new JujuError(`unable to locate archive (store API responded with status: ${res.status})`)
    if (res.headers.get('content-encoding')) throw new JujuError('compressed download')
    const body = Buffer.from(await res.arrayBuffer())
    if (this.version === '4.0' && Number(res.headers.get('content-length')) !== body.length)
      throw new JujuError(`downloaded size ${body.length} does not match expected size ${res.headers.get('content-length')}`)
    if (body.length !== expect.size) throw new JujuError(`size mismatch: ${body.length} != ${expect.size}`)
    if (expect.sha256 && createHash('sha256').update(body).digest('hex') !== expect.sha256)
      throw new JujuError('detected SHA256 hash mismatch')
    if (expect.sha384 && createHash('sha384').update(body).digest('hex') !== expect.sha384) throw new JujuError('hash mismatch')
    return body
  }
}
