// Request shapes exactly as Juju 3.6 and 4.0 send them (docs/protocol/charmhub.md §5.1-5.2, §6).
import { randomUUID } from 'node:crypto'

export const FIELDS_36 = [
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
export const FIELDS_40 = ['actions-yaml', ...FIELDS_36]
export type JujuVersion = '3.6' | '4.0'
export const fieldsFor = (v: JujuVersion) => (v === '3.6' ? FIELDS_36 : FIELDS_40)

export interface BaseArg {
  name: string
  channel: string
  architecture: string
}

export function installByChannel(v: JujuVersion, name: string, channel: string, base: BaseArg) {
  return { context: [], actions: [{ action: 'install', 'instance-key': randomUUID(), name, channel, base }], fields: fieldsFor(v) }
}

export function installByRevision(v: JujuVersion, name: string, revision: number) {
  return { context: [], actions: [{ action: 'install', 'instance-key': randomUUID(), name, revision, base: null }], fields: fieldsFor(v) }
}

export function downloadByRevision(v: JujuVersion, id: string, revision: number, resources?: Array<{ name: string; revision: number }>) {
  return {
    context: [],
    actions: [
      {
        action: 'download',
        'instance-key': randomUUID(),
        id,
        revision,
        base: null,
        ...(resources ? { 'resource-revisions': resources } : {}),
      },
    ],
    fields: fieldsFor(v),
  }
}

export function downloadByChannel(v: JujuVersion, id: string, channel: string, base: BaseArg) {
  return { context: [], actions: [{ action: 'download', 'instance-key': randomUUID(), id, channel, base }], fields: fieldsFor(v) }
}

export function refreshOne(v: JujuVersion, id: string, revision: number, trackingChannel: string, base: BaseArg) {
  const key = randomUUID()
  return {
    context: [
      { 'instance-key': key, id, revision, base, 'tracking-channel': trackingChannel, metrics: { relations: 'grafana-agent', units: '3' } },
    ],
    actions: [{ action: 'refresh', 'instance-key': key, id, base: null }],
    fields: fieldsFor(v),
    metrics: {
      controller: { 'juju-version': v === '3.6' ? '3.6.28' : '4.0.15', uuid: randomUUID() },
      model: { applications: '1', cloud: 'lxd', machines: '3', provider: 'lxd', region: 'localhost', units: '3', uuid: randomUUID() },
    },
  }
}

export const JUJU_HEADERS = (v: JujuVersion) => ({
  accept: 'application/json',
  'content-type': 'application/json',
  'user-agent': `Juju/${v === '3.6' ? '3.6.28' : '4.0.15'}`,
  'accept-encoding': 'gzip',
})
