// Rows of one query in batches, through a server-side cursor (DECLARE … CURSOR / FETCH FORWARD), so
// a caller that folds rows into something smaller never holds every row at once (the catalog's full
// load, docs/decisions/0024). The cursor lives in the caller's transaction: every batch reads that
// transaction's snapshot. Works the same on PostgreSQL and PGlite (both run the SQL; neither driver
// needs to stream).
import { CompiledQuery, type Kysely } from 'kysely'

export const DEFAULT_CURSOR_BATCH = 10_000

let cursors = 0

/**
 * Yields the rows of `query` in batches of up to `batch` rows, the next batch already being fetched
 * while the caller works on the current one. `db` must be a transaction (a cursor without HOLD ends
 * with it). Leaving the loop early (break, throw) closes the cursor.
 */
export async function* cursorRows<R>(
  db: Kysely<any>,
  query: { compile(): CompiledQuery<R> },
  batch: number = DEFAULT_CURSOR_BATCH,
): AsyncGenerator<R[], void, undefined> {
  if (!db.isTransaction) throw new Error('cursorRows needs a transaction: a cursor lives only as long as its transaction')
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`cursorRows: batch must be a positive integer, got ${batch}`)
  const name = `airlock_cursor_${++cursors}`
  const q = query.compile()
  // Every row is wanted: without this the planner favours plans quick to a first row (index scans,
  // nested loops) that take far longer to give them all. It ends with the transaction.
  await db.executeQuery(CompiledQuery.raw('SET LOCAL cursor_tuple_fraction = 1'))
  await db.executeQuery(CompiledQuery.raw(`DECLARE ${name} NO SCROLL CURSOR FOR ${q.sql}`, [...q.parameters]))
  const fetch = (): Promise<R[]> => db.executeQuery<R>(CompiledQuery.raw(`FETCH FORWARD ${batch} FROM ${name}`)).then((r) => r.rows)
  let pending: Promise<R[]> | undefined = fetch()
  // A fetch still in flight when the caller stops must not surface as an unhandled rejection.
  pending.catch(() => {})
  let failed = false
  try {
    for (;;) {
      const rows: R[] = await pending
      pending = undefined
      // A short batch is the last: no need to ask again.
      if (rows.length === batch) {
        pending = fetch()
        pending.catch(() => {})
      }
      if (rows.length > 0) yield rows
      if (!pending) return
    }
  } catch (err) {
    failed = true
    throw err
  } finally {
    if (pending) await pending.catch(() => {})
    // After a failed statement the transaction refuses everything until it rolls back, which also
    // drops the cursor; otherwise close it so the transaction can go on with other queries.
    await db.executeQuery(CompiledQuery.raw(`CLOSE ${name}`)).catch((err: unknown) => {
      if (!failed) throw err
    })
  }
}
