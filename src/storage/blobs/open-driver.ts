// The storage driver the configuration names: the data dir's filesystem, or the S3 bucket.
import type { S3Settings } from '../../config/schema.js'
import type { StorageDriver } from './driver.js'
import { createFsDriver } from './fs-driver.js'
import { S3Driver } from './s3-driver.js'

export function openDriver(kind: 'fs' | 's3', dataDir: string, s3: S3Settings): StorageDriver {
  if (kind === 'fs') return createFsDriver(dataDir)
  return new S3Driver({
    endpoint: s3.endpoint,
    bucket: s3.bucket!,
    region: s3.region,
    accessKeyId: s3.accessKeyId!,
    secretAccessKey: s3.secretAccessKey!,
    forcePathStyle: s3.forcePathStyle,
  })
}

/** Where a driver keeps its blobs, for messages. */
export function describeDriver(kind: 'fs' | 's3', dataDir: string, s3: S3Settings): string {
  return kind === 'fs' ? `the data dir ${dataDir}` : `bucket ${s3.bucket} at ${s3.endpoint ?? 'AWS S3'}`
}
