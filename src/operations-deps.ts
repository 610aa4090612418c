// Wires the admin operations routes to their storage through the catalog ports (called once by
// app.ts); it lives outside admin/, which may not import storage/ (decision 0021).
import { resolve } from 'node:path'
import type { Database } from './storage/db/connect.js'
import { operationsStore } from './storage/db/operations.repo.js'
import { tokenStore } from './storage/db/tokens.repo.js'
import { auditReader, auditWriter } from './storage/db/audit.repo.js'
import { packageDetailReader } from './storage/db/package-detail.repo.js'
import { statusReader } from './storage/db/status.repo.js'
import { blobSpace } from './storage/blobs/free-space.js'
import { listPackages } from './storage/db/listing.repo.js'
import { listImageResources } from './storage/db/images.repo.js'
import { summariseRoots } from './assertions/root-summary.js'
import type { TrustedRoots } from './assertions/roots.js'
import { VERSION } from './version.js'
import type { OperationsDeps } from './admin/deps.js'

export function operationsDeps(o: {
  database: Database
  dataDir: string
  trustedRoots: TrustedRoots
  registryDomain: string | undefined
  onCommitted: (ids: string[]) => Promise<void>
}): OperationsDeps {
  const db = o.database.db
  const counts = statusReader(db)
  const dataDir = resolve(o.dataDir)
  return {
    store: operationsStore(db),
    tokens: tokenStore(db),
    audit: { ...auditReader(db), writer: auditWriter(db) },
    details: packageDetailReader(db),
    listing: { packages: (type) => listPackages(db, type), imageResources: () => listImageResources(db) },
    onCommitted: o.onCommitted,
    status: {
      version: VERSION,
      databaseKind: o.database.kind,
      ping: () => o.database.ping(),
      counts: () => counts.counts(),
      space: () => blobSpace(dataDir),
      trustedRoots: summariseRoots(o.trustedRoots),
      registryDomain: o.registryDomain,
    },
  }
}
