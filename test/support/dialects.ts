// The dialects every database-backed test file runs on: PGlite always, PostgreSQL when one answers
// (test/support/postgres.ts finds it), the reason printed once per file when that half is skipped.
import { postgresAvailable } from './postgres.js'
import type { Dialect } from './test-app.js'

export const pgState = await postgresAvailable()
if (!pgState.ok) console.warn(`skipping PostgreSQL half: ${pgState.reason}`)

export const dialects: readonly Dialect[] = pgState.ok ? ['pglite', 'pg'] : ['pglite']
