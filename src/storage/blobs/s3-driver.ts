// The S3 storage driver: any S3-compatible object store (AWS S3, Ceph RGW, MinIO) behind the
// StorageDriver seam. Only bytes and keys live here; digests and the content-addressed layout are the
// layer above's.
//
// - put streams through lib-storage's multipart Upload: a fixed number of fixed-size parts in flight,
//   so memory stays flat whatever the blob's size. Each chunk is copied as it is read and released
//   at once (the caller reuses chunk memory).
// - move is a server-side copy then a delete (S3 has no rename); the copy lands whole or not at all, so
//   a reader never sees a partial object under the destination key. Above 5 GiB a single CopyObject
//   is refused by S3, so those copy part by part (UploadPartCopy).
// - Errors come back as a Node-style `code`: ENOENT when the key is absent, EUNAVAILABLE when the store
//   cannot be reached or answers 5xx (the HTTP layer turns that into 503 + Retry-After), EACCES for
//   refused credentials.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { Readable } from 'node:stream'
import type { DriverObject, PutOptions, RandomAccessReader, StorageDriver } from './driver.js'
import { checkKey } from './keys.js'

export interface S3DriverOptions {
  readonly endpoint?: string
  readonly bucket: string
  readonly region: string
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly forcePathStyle: boolean
  /** Bytes per multipart part, for uploads and large copies. */
  readonly partBytes?: number
  /** Objects above this size are copied part by part (S3 refuses CopyObject above 5 GiB). */
  readonly copyPartThreshold?: number
}

const MIB = 1 << 20
const GIB = 1024 * MIB
/** Parts one upload keeps in flight: with partBytes, the upload's memory bound. */
const UPLOAD_QUEUE = 2
/** Bytes a random-access reader fetches per request; small zip-directory reads are served from it. */
const READ_WINDOW = 256 << 10

export class S3Driver implements StorageDriver {
  readonly kind = 's3'
  private readonly client: S3Client
  private readonly bucket: string
  private readonly partBytes: number
  private readonly copyPartThreshold: number

  constructor(opts: S3DriverOptions) {
    // The SDK warns on stderr about Node versions it will drop; an operator can do nothing about it here.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
    this.bucket = opts.bucket
    this.partBytes = opts.partBytes ?? 8 * MIB
    this.copyPartThreshold = opts.copyPartThreshold ?? 5 * GIB
    this.client = new S3Client({
      endpoint: opts.endpoint,
      region: opts.region,
      forcePathStyle: opts.forcePathStyle,
      credentials: { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey },
      // Newer SDKs add CRC checksums to every upload; several S3-compatible stores reject or mangle
      // them. Integrity is ours anyway: the layer above hashes every byte.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // A store that is down must fail a request quickly (503 to the client), not hang it.
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 3000, requestTimeout: 60_000 },
    })
  }

  async put(key: string, body: Readable, opts?: PutOptions): Promise<void> {
    checkKey(key)
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: opts?.release ? Readable.from(copied(body, opts.release)) : body },
      partSize: this.partBytes,
      queueSize: UPLOAD_QUEUE,
      leavePartsOnError: false,
    })
    try {
      await upload.done()
    } catch (err) {
      body.destroy()
      throw translate(err, key)
    }
  }

  async move(from: string, to: string): Promise<void> {
    checkKey(from)
    checkKey(to)
    const head = await this.head(from)
    if (!head) throw enoent(from)
    try {
      if (head.size > this.copyPartThreshold) await this.copyInParts(from, to, head.size)
      else await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: to, CopySource: this.copySource(from) }))
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: from }))
    } catch (err) {
      throw translate(err, from)
    }
  }

  async get(key: string, range?: { start: number; end: number }): Promise<Readable> {
    checkKey(key)
    try {
      const out = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      )
      return out.Body as Readable
    } catch (err) {
      throw translate(err, key)
    }
  }

  async reader(key: string): Promise<RandomAccessReader> {
    checkKey(key)
    const head = await this.head(key)
    if (!head) throw enoent(key)
    return new RangedReader(this, key, head.size)
  }

  async stat(key: string): Promise<DriverObject | undefined> {
    try {
      checkKey(key)
    } catch {
      return undefined
    }
    const head = await this.head(key)
    return head && { key, size: head.size, modified: head.modified }
  }

  async delete(key: string): Promise<void> {
    checkKey(key)
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }))
    } catch (err) {
      const e = translate(err, key)
      if (e.code !== 'ENOENT') throw e
    }
  }

  async *list(prefix: string): AsyncIterable<DriverObject> {
    // The prefix's directory part obeys the key grammar like any key; its last segment may be partial.
    const cut = prefix.lastIndexOf('/')
    if (cut >= 0) checkKey(prefix.slice(0, cut))
    let token: string | undefined
    do {
      let page
      try {
        page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }))
      } catch (err) {
        throw translate(err, prefix)
      }
      for (const o of page.Contents ?? []) {
        if (o.Key !== undefined) yield { key: o.Key, size: o.Size ?? 0, modified: o.LastModified ?? new Date(0) }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (token)
  }

  async redirectURL(key: string, expiresInSeconds: number): Promise<string> {
    checkKey(key)
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: expiresInSeconds })
  }

  /** Reachable, credentials accepted, bucket present (created when missing) and writable. */
  async check(): Promise<void> {
    try {
      try {
        await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }))
      } catch (err) {
        if (status(err) !== 404) throw err
        await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }))
      }
      const probe = `tmp/start-check-${process.pid}-${Date.now()}`
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: probe, Body: new Uint8Array(0), ContentLength: 0 }))
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: probe }))
    } catch (err) {
      throw translate(err, `bucket ${this.bucket}`)
    }
  }

  async close(): Promise<void> {
    this.client.destroy()
  }

  /** A ranged GET into `into`; used by RangedReader. */
  async readRange(key: string, into: Buffer, start: number, length: number): Promise<number> {
    const body = await this.get(key, { start, end: start + length - 1 })
    let n = 0
    for await (const chunk of body as AsyncIterable<Buffer>) {
      const take = Math.min(chunk.length, length - n)
      chunk.copy(into, n, 0, take)
      n += take
    }
    return n
  }

  private async head(key: string): Promise<{ size: number; modified: Date } | undefined> {
    try {
      const h = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }))
      return { size: h.ContentLength ?? 0, modified: h.LastModified ?? new Date(0) }
    } catch (err) {
      const e = translate(err, key)
      if (e.code === 'ENOENT') return undefined
      throw e
    }
  }

  private copySource(key: string): string {
    return `${this.bucket}/${key}`
  }

  private async copyInParts(from: string, to: string, size: number): Promise<void> {
    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: to }))
    // Copies this large are rare (blobs above 5 GiB), so parts go one at a time, each large enough
    // to stay well under S3's 10,000-part limit.
    const part = Math.max(this.partBytes, Math.ceil(size / 10_000), Math.min(this.copyPartThreshold, GIB))
    try {
      const parts: { ETag?: string; PartNumber: number }[] = []
      for (let start = 0, n = 1; start < size; start += part, n++) {
        const end = Math.min(size, start + part) - 1
        const r = await this.client.send(
          new UploadPartCopyCommand({
            Bucket: this.bucket,
            Key: to,
            UploadId,
            PartNumber: n,
            CopySource: this.copySource(from),
            CopySourceRange: `bytes=${start}-${end}`,
          }),
        )
        parts.push({ ETag: r.CopyPartResult?.ETag, PartNumber: n })
      }
      // radosgw 16.2 answers an empty ETag here; nothing relies on it.
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: to, UploadId, MultipartUpload: { Parts: parts } }),
      )
    } catch (err) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: to, UploadId })).catch(() => undefined)
      throw err
    }
  }
}

/**
 * `body`'s chunks, each copied as it is read and released at once: lib-storage holds chunks until it
 * has a whole part, so it gets copies, and the caller gets its memory back without waiting for that.
 */
async function* copied(body: Readable, release: (chunk: Buffer) => void): AsyncIterable<Buffer> {
  for await (const chunk of body as AsyncIterable<Buffer>) {
    const copy = Buffer.from(chunk)
    release(chunk)
    yield copy
  }
}

/** Random reads by ranged GETs, through one window so that runs of small reads cost one request. */
class RangedReader implements RandomAccessReader {
  private window = Buffer.alloc(0)
  private windowStart = 0
  private windowLength = 0

  constructor(
    private readonly driver: S3Driver,
    private readonly key: string,
    readonly size: number,
  ) {}

  async read(into: Buffer, position: number, length: number): Promise<number> {
    length = Math.max(0, Math.min(length, this.size - position, into.length))
    if (length === 0) return 0
    if (length >= READ_WINDOW) return this.driver.readRange(this.key, into, position, length)
    if (position < this.windowStart || position + length > this.windowStart + this.windowLength) {
      if (this.window.length === 0) this.window = Buffer.allocUnsafe(READ_WINDOW)
      const want = Math.min(READ_WINDOW, this.size - position)
      this.windowLength = await this.driver.readRange(this.key, this.window, position, want)
      this.windowStart = position
    }
    const offset = position - this.windowStart
    const n = Math.min(length, this.windowLength - offset)
    this.window.copy(into, 0, offset, offset + n)
    return n
  }

  async close(): Promise<void> {
    this.window = Buffer.alloc(0)
    this.windowLength = 0
  }
}

function status(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode
}

function enoent(key: string): Error & { code: string } {
  return Object.assign(new Error(`no object ${key}`), { code: 'ENOENT' })
}

/** One Node-style error from whatever the SDK threw. */
export function translate(err: unknown, what: string): Error & { code: string } {
  const e = err as Error & { code?: string; name?: string }
  const s = status(err)
  const name = e?.name ?? ''
  if (s === 404 || name === 'NoSuchKey' || name === 'NotFound') return enoent(what)
  if (s === 403 || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch' || name === 'AccessDenied') {
    return Object.assign(new Error(`the object store refused the credentials (${name || s}) for ${what}`), { code: 'EACCES' })
  }
  if (s === undefined || s >= 500) {
    const why = e?.code ?? (name || e?.message || String(err))
    return Object.assign(new Error(`the object store is unavailable (${why})`), { code: 'EUNAVAILABLE' })
  }
  return Object.assign(new Error(`the object store answered ${s} (${name || e?.message}) for ${what}`), { code: e?.code ?? 'EIO' })
}
