// Turns what was read from a snap upload into catalog input, trusting nothing the files say about
// themselves: every assertion must verify up to a trusted root, each blob is matched to its
// snap-revision by SHA3-384 (never by file name), and size, snap-id and name must agree
// (docs/protocol/snap-store.md §6.3, §10; docs/protocol/export-formats.md §7 "Snap export").
import { InvalidInput, type Location } from '../catalog/errors.js'
import { formatChannel, type Channel } from '../catalog/channel.js'
import { isStoreId } from '../catalog/ids.js'
import type { AssertionInput, PublisherInfo, RevisionInput } from '../catalog/model.js'
import { describeAssertion, headerString, type Assertion } from '../assertions/parse.js'
import { findRoot, refKey, type TrustedRoots } from '../assertions/roots.js'
import { verifyAssertions } from '../assertions/verify.js'
import { assertionInput } from './assertion-input.js'
import type { ParsedSnapExport, SnapFile } from './snap-export.js'
import { probeExportJson, releasesFor, storeFor } from './snap-channels.js'

export interface SnapPlanOptions {
  readonly roots: TrustedRoots
  /** Where revisions go when the export's JSON says nothing about their snap. */
  readonly channel: Channel
  /** For the key-expiry check; default now. */
  readonly now?: Date | null
}

/** The snapd digest of a blob: its SHA3-384 in base64url without padding (asserts.EncodeDigest). */
export const snapDigest = (sha3_384Hex: string): string => Buffer.from(sha3_384Hex, 'hex').toString('base64url')

interface Indexed {
  /** Newest revision of each (type, primary key), from the upload and then the trusted roots. */
  find(type: string, key: readonly string[]): Assertion | undefined
}

/** Verifies every assertion in the upload; refuses naming the file, the assertion and the problem. */
function verifyAll(parsed: ParsedSnapExport, opts: SnapPlanOptions): Indexed {
  const where = new Map<Assertion, Location>()
  const unique = new Map<string, Assertion>()
  for (const f of parsed.assertionFiles) {
    for (const a of f.assertions) {
      // `snap download` pairs and exports repeat the same account and key assertions: verify once.
      const k = a.bytes.toString('base64')
      if (!unique.has(k)) {
        unique.set(k, a)
        where.set(a, f.location)
      }
    }
  }
  const list = [...unique.values()]
  const results = verifyAssertions(list, { roots: opts.roots, now: opts.now })
  const failed = results.filter((r) => !r.ok)
  const first = failed[0]
  if (first && !first.ok) {
    const more = failed.length > 1 ? ` (and ${failed.length - 1} more assertion(s) failed)` : ''
    throw new InvalidInput(where.get(first.assertion) ?? {}, `${first.name}: ${first.message}${more}`)
  }
  const newest = new Map<string, Assertion>()
  for (const a of list) {
    const k = refKey(a.type.name, a.primaryKey)
    const prev = newest.get(k)
    if (!prev || Number(headerString(a, 'revision') ?? 0) > Number(headerString(prev, 'revision') ?? 0)) newest.set(k, a)
  }
  return { find: (type, key) => newest.get(refKey(type, key)) ?? findRoot(opts.roots, type, key) }
}

/** What snapd fetches for a snap-revision (asserts/fetcher.go): declaration, accounts, and every signing key. */
function assertionsFor(rev: Assertion, index: Indexed): AssertionInput[] {
  const out = new Map<string, Assertion>()
  const add = (a: Assertion | undefined): void => {
    if (!a) return
    const k = refKey(a.type.name, a.primaryKey)
    if (out.has(k)) return
    out.set(k, a)
    const h = (n: string) => headerString(a, n) ?? ''
    add(index.find('account-key', [h('sign-key-sha3-384')]))
    if (a.type.name === 'account-key') add(index.find('account', [h('account-id')]))
    if (a.type.name === 'snap-declaration') add(index.find('account', [h('publisher-id')]))
    if (a.type.name === 'snap-revision') {
      add(index.find('account', [h('developer-id')]))
      add(index.find('snap-declaration', ['16', h('snap-id')]))
    }
  }
  add(rev)
  const order = ['account', 'account-key', 'snap-declaration', 'snap-revision']
  return [...out.values()].sort((x, y) => order.indexOf(x.type.name) - order.indexOf(y.type.name)).map(assertionInput)
}

function publisherOf(account: Assertion | undefined, id: string): PublisherInfo {
  const h = (n: string) => (account ? headerString(account, n) : undefined)
  return {
    id,
    username: h('username') ?? '',
    'display-name': h('display-name') ?? h('username') ?? id,
    validation: h('validation') ?? 'unproven',
  }
}

interface Matched {
  snap: SnapFile
  rev: Assertion
  decl: Assertion
  snapId: string
  revision: number
}

function match(snap: SnapFile, revisions: Map<string, Assertion>, index: Indexed): Matched {
  const digest = snapDigest(snap.blob.sha3_384)
  const rev = revisions.get(digest)
  if (!rev) {
    const others = [...revisions.values()].map((r) => `${describeAssertion(r)} with snap-size ${headerString(r, 'snap-size')}`)
    throw new InvalidInput(
      snap.location,
      `matches no snap-revision assertion: its SHA3-384 is ${digest} (${snap.blob.size} bytes)` +
        (others.length ? `; the upload has ${others.join(', ')}` : '; the upload has no snap-revision assertion'),
    )
  }
  const size = Number(headerString(rev, 'snap-size'))
  if (size !== snap.blob.size) {
    throw new InvalidInput(snap.location, `is ${snap.blob.size} bytes, but its ${describeAssertion(rev)} says snap-size ${size}`)
  }
  const snapId = headerString(rev, 'snap-id')!
  if (!isStoreId(snapId))
    throw new InvalidInput(snap.location, `snap-id ${JSON.stringify(snapId)} in its snap-revision is not a 32-character store id`)
  const decl = index.find('snap-declaration', ['16', snapId])
  // verifyAll refuses a snap-revision without its declaration; this guards the type only
  if (!decl) throw new InvalidInput(snap.location, `no snap-declaration for snap-id ${snapId}`)
  const declared = headerString(decl, 'snap-name') ?? ''
  const yamlAt = { ...snap.location, member: [...(snap.location.member ?? []), 'meta/snap.yaml'], field: 'name' }
  if (declared === '')
    throw new InvalidInput(yamlAt, `the snap-declaration for snap-id ${snapId} has an empty snap-name: the snap is revoked`)
  if (declared !== snap.meta.name) {
    throw new InvalidInput(
      yamlAt,
      `is ${JSON.stringify(snap.meta.name)}, but the snap-declaration for snap-id ${snapId} names the snap ${JSON.stringify(declared)}`,
    )
  }
  return { snap, rev, decl, snapId, revision: Number(headerString(rev, 'snap-revision')) }
}

export function planSnapExport(parsed: ParsedSnapExport, opts: SnapPlanOptions): RevisionInput[] {
  const index = verifyAll(parsed, opts)
  const revisions = new Map<string, Assertion>()
  for (const f of parsed.assertionFiles) {
    for (const a of f.assertions)
      if (a.type.name === 'snap-revision') revisions.set(a.primaryKey[0]!, index.find('snap-revision', a.primaryKey) ?? a)
  }

  const matched: Matched[] = []
  for (const snap of parsed.snaps) {
    // The same blob twice (nested copies, a pair inside an export) is one revision.
    if (matched.some((m) => m.snap.blob.sha256 === snap.blob.sha256)) continue
    const m = match(snap, revisions, index)
    const twin = matched.find((o) => o.snapId === m.snapId && o.revision === m.revision)
    if (twin)
      throw new InvalidInput(snap.location, `${m.snap.meta.name} revision ${m.revision} appears twice in the upload with different content`)
    matched.push(m)
  }

  const hints = probeExportJson(parsed.json)
  const channels = releasesFor(
    hints,
    matched.map((m) => ({ snap: m.snap.meta.name, revision: m.revision, architectures: m.snap.meta.architectures })),
  )
  return matched.map(({ snap, rev, decl, snapId, revision }): RevisionInput => {
    const meta = snap.meta
    const publisherId = headerString(decl, 'publisher-id')!
    return {
      type: 'snap',
      name: meta.name,
      storeId: snapId,
      summary: meta.summary,
      description: meta.description,
      title: meta.title,
      publisher: publisherOf(index.find('account', [publisherId]), publisherId),
      details: {},
      revision,
      version: meta.version,
      blob: snap.blob,
      platforms: meta.architectures.map((architecture) => ({ name: '', channel: '', architecture })),
      texts: { snapYaml: meta.text },
      attributes: {},
      extra: {
        confinement: meta.confinement,
        grade: meta.grade,
        base: meta.base ?? null,
        type: meta.type,
        epoch: meta.epoch,
        'snap-yaml-name': meta.name,
        'publisher-id': publisherId,
        store: storeFor(hints, meta.name),
      },
      declaredResources: [],
      resourceRevisions: [],
      channels: uniqueChannels(channels.get(`${meta.name}/${revision}`) ?? [opts.channel]),
      assertions: assertionsFor(rev, index),
      location: snap.location,
    }
  })
}

function uniqueChannels(cs: readonly Channel[]): Channel[] {
  const seen = new Map<string, Channel>()
  for (const c of cs) seen.set(formatChannel(c), c)
  return [...seen.values()]
}
