// Plain SQL migrations from migrations/*.sql, run by kysely's Migrator (one transaction; on
// PostgreSQL under an advisory lock, so replicas may start together). A file is split on
// "-- split" lines because PGlite runs one statement per prepared query (docs/decisions/0002).
import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely'

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/', import.meta.url))

class SqlFileProvider implements MigrationProvider {
  constructor(private readonly dir: string) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(this.dir)).filter((f) => f.endsWith('.sql')).sort()
    const out: Record<string, Migration> = {}
    for (const file of files) {
      const text = await readFile(`${this.dir}/${file}`, 'utf8')
      const parts = text.split(/^-- split$/m).filter((p) => p.replace(/--.*$/gm, '').trim() !== '')
      out[file.replace(/\.sql$/, '')] = {
        async up(db: Kysely<unknown>) {
          for (const part of parts) await sql.raw(part).execute(db)
        },
      }
    }
    return out
  }
}

export async function migrate(db: Kysely<any>, dir = MIGRATIONS_DIR): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new SqlFileProvider(dir) })
  const { error, results } = await migrator.migrateToLatest()
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')
    throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${(error as Error).message ?? String(error)}`)
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}
