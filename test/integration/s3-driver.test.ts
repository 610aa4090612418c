// The S3 driver against a real object store (Ceph RGW from scripts/s3-test-server.sh): the driver
// conformance suite every driver runs, then what only S3 has (multipart, part-by-part copies,
// pagination, presigned URLs, refused credentials, an unreachable endpoint).
import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { S3Driver } from '../../src/storage/blobs/s3-driver.js'
import { describeDriver } from '../support/driver-conformance.js'
import { startS3Server, type S3Server } from '../support/s3-server.js'

let s3: S3Server
let driver: S3Driver

const driverFor = (server: S3Server, bucket: string, extra: Partial<ConstructorParameters<typeof S3Driver>[0]> = {}) =>
  new S3Driver({
    endpoint: server.endpoint,
    bucket,
    region: server.region,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    forcePathStyle: true,
    ...extra,
  })

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of r) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

beforeAll(async () => {
  s3 = await startS3Server()
  // Small parts so that multipart uploads and part-by-part copies happen with small test data.
  driver = driverFor(s3, 'driver-test', { partBytes: 5 << 20, copyPartThreshold: 6 << 20 })
  await driver.check()
}, 240_000)

afterAll(async () => {
  await driver?.close()
  await s3?.close()
})

let buckets = 0
describeDriver('s3', async () => {
  // A fresh bucket per test: the suite wants an empty store each time.
  const d = driverFor(s3, `conformance-${++buckets}`)
  await d.check()
  return { driver: d, cleanup: async () => undefined }
})

describe('S3 driver', () => {
  it('check() creates a missing bucket and is idempotent', async () => {
    const d = driverFor(s3, 'made-by-check')
    await d.check()
    await d.check()
    await d.close()
  })

  it('puts, stats, gets whole and by range, and lists', async () => {
    const data = randomBytes(100_000)
    await driver.put('tmp/a', Readable.from([data]))
    const st = await driver.stat('tmp/a')
    expect(st?.size).toBe(data.length)
    expect(st?.modified).toBeInstanceOf(Date)
    expect(await readAll(await driver.get('tmp/a'))).toEqual(data)
    expect(await readAll(await driver.get('tmp/a', { start: 10, end: 19 }))).toEqual(data.subarray(10, 20))
    const keys: string[] = []
    for await (const o of driver.list('tmp/')) keys.push(o.key)
    expect(keys).toContain('tmp/a')
    await driver.delete('tmp/a')
    await driver.delete('tmp/a')
    expect(await driver.stat('tmp/a')).toBeUndefined()
  })

  it('uploads a multi-part object in parts and moves it by a part-by-part copy, bytes intact', async () => {
    const data = randomBytes(13 << 20)
    const chunks = Array.from({ length: 13 }, (_, i) => data.subarray(i << 20, (i + 1) << 20))
    await driver.put('tmp/big', Readable.from(chunks))
    await driver.move('tmp/big', 'blobs/big')
    expect(await driver.stat('tmp/big')).toBeUndefined()
    const got = await readAll(await driver.get('blobs/big'))
    expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'))
    await driver.delete('blobs/big')
  })

  it('moves a small object by one copy', async () => {
    await driver.put('tmp/m', Readable.from([Buffer.from('moved')]))
    await driver.move('tmp/m', 'blobs/m')
    expect((await readAll(await driver.get('blobs/m'))).toString()).toBe('moved')
    expect(await driver.stat('tmp/m')).toBeUndefined()
    await driver.delete('blobs/m')
  })

  it('reads at random positions through the reader', async () => {
    const data = randomBytes(700_000)
    await driver.put('tmp/r', Readable.from([data]))
    const r = await driver.reader('tmp/r')
    expect(r.size).toBe(data.length)
    for (const [pos, len] of [
      [0, 10],
      [5, 100],
      [699_990, 100],
      [300_000, 300_000],
      [1000, 4],
    ] as const) {
      const buf = Buffer.alloc(len)
      const n = await r.read(buf, pos, len)
      expect(n).toBe(Math.min(len, data.length - pos))
      expect(buf.subarray(0, n)).toEqual(data.subarray(pos, pos + n))
    }
    await r.close()
    await driver.delete('tmp/r')
  })

  it('lists past one page', async () => {
    await Promise.all(Array.from({ length: 1005 }, (_, i) => driver.put(`many/k${i}`, Readable.from([Buffer.from('x')]))))
    let n = 0
    for await (const o of driver.list('many/')) {
      n++
      expect(o.size).toBe(1)
    }
    expect(n).toBe(1005)
    await Promise.all(Array.from({ length: 1005 }, (_, i) => driver.delete(`many/k${i}`)))
  })

  it('answers ENOENT for absent keys and refuses malformed ones', async () => {
    await expect(driver.get('tmp/none')).rejects.toMatchObject({ code: 'ENOENT' })
    await expect(driver.reader('tmp/none')).rejects.toMatchObject({ code: 'ENOENT' })
    await expect(driver.move('tmp/none', 'blobs/none')).rejects.toMatchObject({ code: 'ENOENT' })
    await expect(driver.get('../etc/passwd')).rejects.toThrow(/not a valid storage key/)
    await expect(driver.put('Tmp/X', Readable.from([Buffer.from('x')]))).rejects.toThrow(/not a valid storage key/)
  })

  it('presigns a URL a plain HTTP client can fetch', async () => {
    await driver.put('blobs/p', Readable.from([Buffer.from('presigned')]))
    const url = await driver.redirectURL('blobs/p', 300)
    const res = await fetch(url)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('presigned')
    await driver.delete('blobs/p')
  })

  it('wrong credentials: EACCES; unreachable endpoint: EUNAVAILABLE', async () => {
    const bad = driverFor(s3, 'driver-test', { secretAccessKey: 'wrong' })
    await expect(bad.check()).rejects.toMatchObject({ code: 'EACCES' })
    await bad.close()
    const gone = new S3Driver({
      endpoint: 'http://127.0.0.1:9',
      bucket: 'x',
      region: 'us-east-1',
      accessKeyId: 'a',
      secretAccessKey: 'b',
      forcePathStyle: true,
    })
    await expect(gone.check()).rejects.toMatchObject({ code: 'EUNAVAILABLE' })
    await gone.close()
  })
})
