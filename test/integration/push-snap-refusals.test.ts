// What push-snap refuses, as a table: each refusal is a 422 that names the file, the member and the
// problem, and leaves the store byte-identical (rows, blobs, temp files). PGlite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/test-app.js'
import { fixture } from '../support/assertion-signer.js'
import {
  buildSnap,
  buildSnapExport,
  flipSignatureByte,
  packPair,
  signedSnap,
  snapAssertions,
  snapIdOf,
  TEST_ROOT_FILES,
  truncatedInHeaders,
  withoutLastSignature,
  type SignedSnap,
} from '../support/snap-builder.js'
import { buildTar } from '../support/charm-builder.js'
import { dialects } from '../support/dialects.js'

const hello = signedSnap({ name: 'hello', revision: 1 })
const withAssert = (s: SignedSnap, assert: Buffer): SignedSnap => ({ ...s, assert })
const other = buildSnap({ name: 'hello', version: '9.9' })
/** A valid snap-declaration of "hello", but for another snap-id than hello's snap-revision names. */
function declarationElsewhere(): Buffer {
  const s = snapAssertions({ snap: hello.snap, name: 'hello', revision: 1, snapId: snapIdOf('elsewhere') })
  return s.subarray(s.indexOf('type: snap-declaration'), s.indexOf('type: snap-revision'))
}

type Case = [string, string, () => Promise<Buffer>, RegExp]
const cases: Case[] = [
  [
    'a blob whose hash matches no snap-revision',
    'hello_1.snap',
    () => packPair(withAssert(hello, snapAssertions({ snap: other, name: 'hello', revision: 1 }))),
    /^hello_1\.snap: hello_1\.snap: matches no snap-revision assertion: its SHA3-384 is [\w-]{64} \(\d+ bytes\); the upload has snap-revision \(snap-sha3-384=[\w-]{64}, provenance=global-upload\)/,
  ],
  [
    'a blob whose size disagrees with its snap-revision',
    'hello_1.snap',
    () =>
      packPair(
        withAssert(
          hello,
          snapAssertions({ snap: hello.snap, name: 'hello', revision: 1, revisionHeaders: { 'snap-size': String(hello.snap.length + 1) } }),
        ),
      ),
    new RegExp(
      `hello_1\\.snap: hello_1\\.snap: is ${hello.snap.length} bytes, but its snap-revision \\(.*\\) says snap-size ${hello.snap.length + 1}`,
    ),
  ],
  [
    'a bad signature (one flipped byte)',
    'hello_1.snap',
    () => packPair(withAssert(hello, flipSignatureByte(hello.assert, 'snap-revision'))),
    /hello_1\.snap: hello_1\.assert: snap-revision \(snap-sha3-384=[\w-]+, provenance=global-upload\): signature does not verify with account-key XCIC/,
  ],
  [
    'an assertion without its signature',
    'hello_1.snap',
    () => packPair(withAssert(hello, withoutLastSignature(hello.assert))),
    /hello_1\.snap: hello_1\.assert: assertion #4 at byte \d+: snap-revision: missing signature/,
  ],
  [
    'a truncated assertion stream',
    'hello_1.snap',
    () => packPair(withAssert(hello, truncatedInHeaders(hello.assert))),
    /hello_1\.snap: hello_1\.assert: assertion #4 at byte \d+: truncated: no blank line after the headers/,
  ],
  [
    'a snap-declaration for another snap-id',
    'hello_1.snap',
    () =>
      packPair(
        withAssert(
          hello,
          Buffer.concat([
            hello.assert.subarray(0, hello.assert.indexOf('type: snap-declaration')),
            declarationElsewhere(),
            hello.assert.subarray(hello.assert.indexOf('type: snap-revision')),
          ]),
        ),
      ),
    /hello_1\.assert: snap-revision .*: needs snap-declaration \(series=16, snap-id=[0-9a-f]{32}\) \(its snap\), which is neither uploaded nor trusted/,
  ],
  [
    'a snap without assertions in an export',
    'hello-20240101T000000.tar.gz',
    () => buildTar([{ name: 'hello_1.snap', data: hello.snap }]),
    /hello-20240101T000000\.tar\.gz: hello_1\.snap: matches no snap-revision assertion: .*the upload has no snap-revision assertion/,
  ],
  [
    'a .snap that is not squashfs',
    'hello-20240101T000000.tar.gz',
    () => buildSnapExport({ snaps: [withAssert({ ...hello, snap: Buffer.from('#!/bin/sh\necho not a snap\n') }, hello.assert)] }),
    /hello-20240101T000000\.tar\.gz: hello_1\.snap: not a snap: no squashfs magic \("hsqs"\)/,
  ],
  [
    'a corrupt squashfs image',
    'hello-20240101T000000.tar.gz',
    () =>
      buildSnapExport({
        snaps: [withAssert({ ...hello, snap: Buffer.concat([Buffer.from('hsqs'), Buffer.alloc(4000, 7)]) }, hello.assert)],
      }),
    /hello-20240101T000000\.tar\.gz: hello_1\.snap: not a valid squashfs image/,
  ],
  [
    'a squashfs image without meta/snap.yaml',
    'hello-20240101T000000.tar.gz',
    () => buildSnapExport({ snaps: [signedSnap({ name: 'hello', revision: 1, snapYaml: null })] }),
    /hello-20240101T000000\.tar\.gz: hello_1\.snap: no meta\/snap\.yaml in the squashfs image/,
  ],
  [
    'a snap.yaml name that disagrees with the declaration',
    'hello-20240101T000000.tar.gz',
    () => buildSnapExport({ snaps: [signedSnap({ name: 'hello', revision: 1 }, { declaredName: 'hola' })] }),
    /hello-20240101T000000\.tar\.gz: hello_1\.snap: meta\/snap\.yaml \(name\): is "hello", but the snap-declaration for snap-id [0-9a-f]{32} names the snap "hola"/,
  ],
  [
    'an invalid snap.yaml',
    'hello-20240101T000000.tar.gz',
    () => buildSnapExport({ snaps: [signedSnap({ name: 'hello', revision: 1, snapYaml: 'name: hello\nconfinement: loose\n' })] }),
    /hello_1\.snap: meta\/snap\.yaml \(confinement\): "loose" is not one of strict, devmode, classic/,
  ],
  [
    'an unsafe member path (../x)',
    'hello-20240101T000000.tar.gz',
    () => buildSnapExport({ snaps: [hello], extraMembers: [{ name: '../x', data: 'x' }] }),
    /hello-20240101T000000\.tar\.gz: \.\.\/x: member path contains "\.\."/,
  ],
  [
    'a symlink member',
    'hello-20240101T000000.tar.gz',
    () => buildSnapExport({ snaps: [hello], extraMembers: [{ name: 'link.snap', type: 'symlink', linkname: '/etc/passwd' }] }),
    /hello-20240101T000000\.tar\.gz: link\.snap: symlink member refused/,
  ],
  [
    'an unparsable channel in the channel map',
    'hello-20240101T000000.tar.gz',
    () => buildSnapExport({ snaps: [hello], json: { 'channel-map': [{ channel: 'latest/nope', revision: 1 }] } }),
    /hello-20240101T000000\.tar\.gz: channel-map\.json \(channel-map\[0\]\.channel\): "latest\/nope" is not a channel/,
  ],
]

describe.each(dialects)('%s: push-snap refusals', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp(dialect, { trustedAssertions: TEST_ROOT_FILES })
    const seed = await t.push(
      '/admin/v1/snaps',
      'seed.tar.gz',
      await buildSnapExport({ snaps: [signedSnap({ name: 'seed', revision: 1 })] }),
    )
    expect(seed.status, JSON.stringify(seed.body)).toBe(200)
  })
  afterAll(async () => {
    await t?.close()
  })

  it.each(cases)('refuses %s, changing nothing', async (_n, file, build, message) => {
    const before = await t.dump()
    const res = await t.push('/admin/v1/snaps', file, await build())
    expect(res.status, JSON.stringify(res.body)).toBe(422)
    expect(res.body.error.message).toMatch(message)
    expect(await t.dump()).toBe(before)
  })
})

describe.each(dialects)('%s: push-snap without the test root trusted', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp(dialect)
  })
  afterAll(async () => {
    await t?.close()
  })

  it('refuses a chain that ends in a key it does not trust', async () => {
    const before = await t.dump()
    const res = await t.push('/admin/v1/snaps', 'hello_1.snap', await packPair(hello))
    expect(res.status).toBe(422)
    expect(res.body.error.message).toMatch(
      /^hello_1\.snap: hello_1\.assert: account-key \(public-key-sha3-384=XCIC[\w-]+\): no account-key hIedp1[\w-]+ \(for a signature by "testrootorg"\) in the upload or the trusted roots/,
    )
    expect(await t.dump()).toBe(before)
  })

  it('refuses a chain up to a self-signed root it was not told to trust', async () => {
    const before = await t.dump()
    const assert = Buffer.concat([
      fixture('testrootorg.account'),
      Buffer.from('\n'),
      fixture('test-root.account-key'),
      Buffer.from('\n'),
      hello.assert,
    ])
    const res = await t.push('/admin/v1/snaps', 'hello_1.snap', await packPair(withAssert(hello, assert)))
    expect(res.status).toBe(422)
    expect(res.body.error.message).toMatch(/hello_1\.assert: account \(account-id=testrootorg\): .*never reaches a trusted root/)
    expect(await t.dump()).toBe(before)
  })
})
