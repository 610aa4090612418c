// The storage driver the configuration names: the data dir's filesystem, or the S3 bucket. The S3
// driver (and with it the AWS SDK) is imported only when configured, so an fs-only server or CLI
// never loads it.
import type { S3Settings } from '../../config/schema.js'
import type { StorageDriver } from './driver.js'
import { createFsDriver } from './fs-driver.js'

export async function openDriver(kind: 'fs' | 's3', dataDir: string, s3: S3Settings): Promise<StorageDriver> {
  if (kind === 'fs') return createFsDriver(dataDir)
  const { S3Driver } = await import('./s3-driver.js')
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
