// Wires the operations routes to their storage (called once by app.ts).
import { resolve } from 'node:path'
import type { Database } from '../storage/db/connect.js'
import { operationsStore } from '../storage/db/operations.repo.js'
import { tokenStore } from '../storage/db/tokens.repo.js'
import { auditReader, auditWriter } from '../storage/db/audit.repo.js'
import { packageDetailReader } from '../storage/db/package-detail.repo.js'
import { statusReader } from '../storage/db/status.repo.js'
import { blobSpace } from '../storage/blobs/free-space.js'
import { summariseRoots } from '../assertions/root-summary.js'
import type { TrustedRoots } from '../assertions/roots.js'
import { VERSION } from '../version.js'
import type { OperationsDeps } from './plugin.js'

export function operationsDeps(o: {
  database: Database; dataDir: string; trustedRoots: TrustedRoots; registryDomain: string | undefined; onCommitted: (ids: string[]) => Promise<void>
}): OperationsDeps {
  const db = o.database.db
  const counts = statusReader(db)
  const dataDir = resolve(o.dataDir)
  return {
    store: operationsStore(db),
    tokens: tokenStore(db),
    audit: { ...auditReader(db), writer: auditWriter(db) },
    details: packageDetailReader(db),
    onCommitted: o.onCommitted,
    status: {
      version: VERSION, databaseKind: o.database.kind, ping: () => o.database.ping(), counts: () => counts.counts(),
      space: () => blobSpace(dataDir), trustedRoots: summariseRoots(o.trustedRoots), registryDomain: o.registryDomain,
    },
  }
}
