// kysely dialect for embedded PGlite. kysely ships one only from 0.29, which needs Node 22; this is
// the same design on 0.28's public driver interface: PostgreSQL's SQL, one connection handed out
// under a mutex (PGlite runs one query at a time), and transactions through PGlite's exclusive
// transaction(), so that a query made on the PGlite object directly (the health check's ping)
// waits for a transaction instead of running inside it.
import type { PGlite, Transaction } from '@electric-sql/pglite'
import {
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
} from 'kysely'

class PGliteAdapter extends PostgresAdapter {
  // The whole migration runs on the one connection, which the mutex already holds: no other
  // process can open the same data directory, so there is nobody to lock out.
  override async acquireMigrationLock(): Promise<void> {}
  override async releaseMigrationLock(): Promise<void> {}
}

class PGliteConnection implements DatabaseConnection {
  private tx: Transaction | undefined
  private finish: ((commit: boolean) => void) | undefined
  private done: Promise<void> | undefined

  constructor(private readonly pglite: PGlite) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const { affectedRows, rows } = await (this.tx ?? this.pglite).query<R>(query.sql, [...query.parameters], { rowMode: 'object' })
    return { rows: rows ?? [], ...(affectedRows != null ? { numAffectedRows: BigInt(affectedRows) } : {}) }
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGlite cannot stream query results')
  }

  async begin(): Promise<void> {
    let begun!: () => void
    const started = new Promise<void>((resolve) => {
      begun = resolve
    })
    const outcome = new Promise<boolean>((resolve) => {
      this.finish = resolve
    })
    this.done = this.pglite.transaction(async (tx) => {
      this.tx = tx
      begun()
      if (!(await outcome)) await tx.rollback()
    })
    // A BEGIN that fails rejects `done` before the callback runs.
    await Promise.race([started, this.done])
  }

  async end(commit: boolean): Promise<void> {
    this.finish?.(commit)
    try {
      await this.done
    } catch (err) {
      if (commit) throw err
    } finally {
      this.tx = undefined
      this.finish = undefined
      this.done = undefined
    }
  }
}

class PGliteDriver implements Driver {
  private readonly connection: PGliteConnection
  private queue: Promise<void> = Promise.resolve()
  private release: (() => void) | undefined

  constructor(private readonly pglite: PGlite) {
    this.connection = new PGliteConnection(pglite)
  }

  async init(): Promise<void> {
    if (this.pglite.closed) throw new Error('the embedded database is already closed')
    await this.pglite.waitReady
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.queue
    let release!: () => void
    this.queue = new Promise<void>((resolve) => {
      release = resolve
    })
    await previous
    this.release = release
    return this.connection
  }

  async releaseConnection(): Promise<void> {
    const release = this.release
    this.release = undefined
    release?.()
  }

  async beginTransaction(): Promise<void> {
    await this.connection.begin()
  }
  async commitTransaction(): Promise<void> {
    await this.connection.end(true)
  }
  async rollbackTransaction(): Promise<void> {
    await this.connection.end(false)
  }

  async destroy(): Promise<void> {
    if (!this.pglite.closed) await this.pglite.close()
  }
}

export class PGliteDialect implements Dialect {
  constructor(private readonly pglite: PGlite) {}
  createAdapter(): DialectAdapter {
    return new PGliteAdapter()
  }
  createDriver(): Driver {
    return new PGliteDriver(this.pglite)
  }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new PostgresIntrospector(db)
  }
  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler()
  }
}
