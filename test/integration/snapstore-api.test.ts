// The Snap Store API as snapd calls it (docs/protocol/snap-store.md §4, §8): raw bodies checked
// against the Go-struct shapes (no coercion), exact content types, hashes over the bytes served.
import { createHash } from 'node:crypto'
import { Value } from '@sinclair/typebox/value'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as S from '../../src/snapstore/schemas.js'
import { digestOf, SAMPLE_SNAPS, seededApp, snapIdOf, type SeededApp } from '../support/snap-store-fixtures.js'

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
  'integrity',
  'media',
  'common-ids',
  'categories',
]
const HELLO = snapIdOf('hello')
const MULTI = snapIdOf('multi')

let t: SeededApp
beforeAll(async () => {
  t = await seededApp(SAMPLE_SNAPS)
})
afterAll(async () => {
  await t?.close()
})

const install = (name: string, extra: Record<string, unknown> = {}, action = 'install') => ({
  action,
  'instance-key': `${action}-1`,
  name,
  epoch: null,
  ...extra,
})

async function refresh(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v2/snaps/refresh',
    payload: JSON.stringify({ context: [], fields: FIELDS, ...body }),
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      'snap-device-architecture': 'amd64',
      'snap-device-series': '16',
      ...headers,
    },
  })
  expect(res.headers['content-type']).toBe('application/json')
  const json = JSON.parse(res.body)
  if (res.statusCode === 200) expect([...Value.Errors(S.RefreshResponse, json)].map((e) => `${e.path}: ${e.message}`)).toEqual([])
  return { status: res.statusCode, json, results: json.results as any[] }
}

describe('POST /v2/snaps/refresh: install and download', () => {
  it('installs by name from stable, echoing the instance key, with every store field', async () => {
    const { results } = await refresh({ actions: [install('hello', { channel: 'stable' })] })
    expect(results).toHaveLength(1)
    const [r] = results
    expect(r).toMatchObject({
      result: 'install',
      'instance-key': 'install-1',
      'snap-id': HELLO,
      name: 'hello',
      'effective-channel': 'stable',
    })
    expect(r.snap).toMatchObject({
      name: 'hello',
      'snap-id': HELLO,
      revision: 1,
      version: '1.0',
      type: 'app',
      confinement: 'strict',
      base: null,
      architectures: ['all'],
      epoch: { read: [0], write: [0] },
      publisher: { id: 'developer1', username: 'developer1', 'display-name': 'Developer 1', validation: 'unproven' },
    })
    expect(r.snap['snap-yaml']).toMatch(/^name: hello$/m)
    expect(r.snap).not.toHaveProperty('prices')
    expect(r.snap.download.url).toBe(`http://127.0.0.1:8080/api/v1/snaps/download/${HELLO}_1.snap`)
  })

  it('answers a download action as "download"; snap download sends context [] and epoch null', async () => {
    const { results } = await refresh({ actions: [install('hello', {}, 'download')] })
    expect(results[0]).toMatchObject({ result: 'download', 'instance-key': 'download-1', name: 'hello' })
    expect(results[0].snap.revision).toBe(1)
  })

  it('serves exactly the bytes described: size, lowercase-hex sha3-384, the snap-revision digest', async () => {
    const { results } = await refresh({ actions: [install('multi', { channel: 'beta' })] })
    const d = results[0].snap.download
    const res = await t.app.inject({
      url: new URL(d.url).pathname,
      headers: { 'accept-encoding': 'gzip', 'x-ubuntu-architecture': 'amd64' },
    })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('application/octet-stream')
    expect(res.headers['content-encoding']).toBeUndefined()
    expect(res.headers['accept-ranges']).toBe('bytes')
    expect(Number(res.headers['content-length'])).toBe(d.size)
    expect(res.rawPayload.length).toBe(d.size)
    expect(createHash('sha3-384').update(res.rawPayload).digest('hex')).toBe(d['sha3-384'])
    expect(res.rawPayload.subarray(0, 4).toString()).toBe('hsqs')
    const built = t.snaps.find((s) => s.spec.name === 'multi')!.revisions.find((r) => r.spec.revision === 12)!
    expect(digestOf(res.rawPayload)).toBe(digestOf(built.bytes))
  })

  it('resumes with Range (206) and answers HEAD and bad ranges', async () => {
    const { results } = await refresh({ actions: [install('hello')] })
    const d = results[0].snap.download
    const path = new URL(d.url).pathname
    const full = (await t.app.inject({ url: path })).rawPayload
    const part = await t.app.inject({ url: path, headers: { range: 'bytes=100-' } })
    expect(part.statusCode).toBe(206)
    expect(part.headers['content-range']).toBe(`bytes 100-${d.size - 1}/${d.size}`)
    expect(Number(part.headers['content-length'])).toBe(d.size - 100)
    expect(part.rawPayload.equals(full.subarray(100))).toBe(true)
    const head = await t.app.inject({ method: 'HEAD', url: path })
    expect(head.statusCode).toBe(200)
    expect(Number(head.headers['content-length'])).toBe(d.size)
    expect(head.rawPayload.length).toBe(0)
    const bad = await t.app.inject({ url: path, headers: { range: `bytes=${d.size}-` } })
    expect(bad.statusCode).toBe(416)
    expect(bad.headers['content-range']).toBe(`bytes */${d.size}`)
    for (const url of [
      `/api/v1/snaps/download/${HELLO}_99.snap`,
      '/api/v1/snaps/download/nope.snap',
      `/api/v1/snaps/download/${HELLO}_1.charm`,
    ]) {
      const res = await t.app.inject({ url })
      expect(res.statusCode).toBe(404)
      expect(res.headers['content-type']).toBe('application/json')
      expect(Value.Check(S.ErrorList, res.json())).toBe(true)
    }
  })

  it.each([
    ['amd64', 'stable', 10, 'stable'],
    ['arm64', 'stable', 11, 'stable'],
    ['amd64', 'beta', 12, 'beta'],
    ['amd64', 'candidate', 10, 'stable'], // closed channel: falls back to a more stable risk
    ['arm64', 'edge', 11, 'stable'],
    ['amd64', 'latest/edge', 13, 'edge'],
    ['amd64', 'beta/hotfix', 12, 'beta'],
  ])('picks the build for %s from %s → revision %i (effective %s)', async (arch, channel, revision, effective) => {
    const { results } = await refresh({ actions: [install('multi', { channel })] }, { 'snap-device-architecture': arch })
    expect(results[0]).toMatchObject({ result: 'install', 'effective-channel': effective })
    expect(results[0].snap.revision).toBe(revision)
    expect(results[0].snap.architectures).toEqual([arch])
  })

  it('reads a bare track as <track>/stable, and installs by revision', async () => {
    const { results } = await refresh({
      actions: [install('hello', { channel: '2.0' }), { ...install('hello', { revision: 2 }), 'instance-key': 'install-2' }],
    })
    expect(results[0]).toMatchObject({ 'instance-key': 'install-1', 'effective-channel': '2.0/stable' })
    expect(results[0].snap.revision).toBe(3)
    expect(results[1]).toMatchObject({ 'instance-key': 'install-2', 'effective-channel': 'edge' })
    expect(results[1].snap.revision).toBe(2)
  })

  it('answers per-action errors with snapd codes, names and releases', async () => {
    const { results } = await refresh(
      {
        actions: [
          install('nope'),
          { ...install('multi', { channel: 'stable' }), 'instance-key': 'install-2' },
          { ...install('hello', { channel: 'nope/nope/nope/nope' }), 'instance-key': 'install-3' },
          { ...install('hello', { revision: 42 }), 'instance-key': 'install-4' },
        ],
      },
      { 'snap-device-architecture': 's390x' },
    )
    expect(results[0]).toEqual({
      result: 'error',
      'instance-key': 'install-1',
      name: 'nope',
      error: { code: 'name-not-found', message: "No snap named 'nope' found" },
    })
    expect(results[1]).toMatchObject({
      result: 'error',
      'instance-key': 'install-2',
      name: 'multi',
      'snap-id': MULTI,
      error: { code: 'revision-not-found' },
    })
    expect(results[1].error.extra.releases).toEqual(
      expect.arrayContaining([
        { architecture: 'amd64', channel: 'stable' },
        { architecture: 'arm64', channel: 'stable' },
        { architecture: 'amd64', channel: 'edge' },
      ]),
    )
    expect(results[2]).toMatchObject({ name: 'hello', error: { code: 'invalid-channel' } })
    // hello is arch "all": releases are shown for the device's architecture, so snapd blames the channel, not the architecture.
    expect(results[3]).toMatchObject({ name: 'hello', error: { code: 'revision-not-found' } })
    expect(results[3].error.extra.releases).toContainEqual({ architecture: 's390x', channel: 'stable' })
  })

  it('knows no snaps outside series 16', async () => {
    const { results } = await refresh({ actions: [install('hello')] }, { 'snap-device-series': '18' })
    expect(results[0].error.code).toBe('name-not-found')
  })
})

describe('POST /v2/snaps/refresh: refresh from context', () => {
  const ctx = (snapId: string, revision: number, tracking: string, epoch = { read: [0], write: [0] }) => ({
    'snap-id': snapId,
    'instance-key': snapId,
    revision,
    'tracking-channel': tracking,
    epoch,
    'refreshed-date': '2024-04-01T12:00:00Z',
  })
  const refreshAction = (snapId: string, extra: Record<string, unknown> = {}) => ({
    action: 'refresh',
    'instance-key': snapId,
    'snap-id': snapId,
    ...extra,
  })

  it('follows the tracking channel, says "no update" with the same revision, and switches channel', async () => {
    const { results } = await refresh({
      context: [ctx(HELLO, 1, 'latest/edge'), ctx(MULTI, 10, 'latest/stable')],
      actions: [refreshAction(HELLO), refreshAction(MULTI), { ...refreshAction(MULTI, { channel: 'beta' }), 'instance-key': MULTI }],
    })
    expect(results[0]).toMatchObject({ result: 'refresh', 'instance-key': HELLO, name: 'hello', 'effective-channel': 'edge' })
    expect(results[0].snap.revision).toBe(2)
    expect(results[1].snap.revision).toBe(10) // no update: snapd reports "snap has no updates available"
    expect(results[2].snap.revision).toBe(12)
  })

  it('refuses a revision that cannot read the installed epoch, and offers one that can', async () => {
    const refused = await refresh({ context: [ctx(MULTI, 12, 'latest/edge')], actions: [refreshAction(MULTI)] })
    expect(refused.results[0]).toMatchObject({
      result: 'error',
      'instance-key': MULTI,
      'snap-id': MULTI,
      error: { code: 'revision-not-found' },
    })
    expect(refused.results[0].error.message).toMatch(/epoch/)
    const ok = await refresh({ context: [ctx(MULTI, 12, 'latest/edge', { read: [0, 1], write: [1] })], actions: [refreshAction(MULTI)] })
    expect(ok.results[0].snap).toMatchObject({ revision: 13, epoch: { read: [1], write: [1] } })
  })

  it('answers the same bytes from kept results, in any order and mixed with installs', async () => {
    const context = [ctx(HELLO, 1, 'latest/edge'), ctx(MULTI, 10, 'latest/stable')]
    const first = await refresh({ context, actions: [refreshAction(HELLO), refreshAction(MULTI), install('hello')] })
    const again = await refresh({ context, actions: [refreshAction(HELLO), refreshAction(MULTI), install('hello')] })
    expect(again.json).toEqual(first.json)
    // Kept results that were first now come after others, and the other way round.
    const swapped = await refresh({ context, actions: [install('hello'), refreshAction(MULTI), refreshAction(HELLO)] })
    expect(swapped.results).toEqual([first.results[2], first.results[1], first.results[0]])
    const alone = await refresh({ context: context.slice(1), actions: [refreshAction(MULTI)] })
    expect(alone.results).toEqual([first.results[1]])
  })

  it('answers id-not-found for a snap the store does not have', async () => {
    const gone = 'G'.repeat(32)
    const { results } = await refresh({ context: [ctx(gone, 3, 'stable')], actions: [refreshAction(gone)] })
    expect(results[0]).toEqual({
      result: 'error',
      'instance-key': gone,
      'snap-id': gone,
      error: { code: 'id-not-found', message: `No snap with id '${gone}' found` },
    })
  })

  it('refuses malformed requests with 400 and an error-list', async () => {
    for (const body of [
      { actions: [{ action: 'explode', 'instance-key': 'x' }] },
      { context: 'nope' },
      { actions: [{ action: 'install', 'instance-key': 'install-1', revision: '3', name: 'hello' }] },
    ]) {
      const { status, json } = await refresh(body)
      expect(status).toBe(400)
      expect(Value.Check(S.ErrorList, json)).toBe(true)
    }
    const res = await t.app.inject({
      method: 'POST',
      url: '/v2/snaps/refresh',
      payload: '{not json',
      headers: { 'content-type': 'application/json' },
    })
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toBe('application/json')
  })
})
