// A dedicated PostgreSQL connection LISTENing on the catalog's change channel (migration 0002's
// trigger notifies on it at every commit that touches the catalog). The connection is its own, not
// the pool's: a pooled client goes back to the pool and stops listening. When it drops (database
// restart, cut network) it reconnects by itself, backing off, and reports each (re)connection so the
// caller can catch up on what it missed meanwhile.
import pg from 'pg'

export const CATALOG_CHANNEL = 'airlock_catalog'

export interface ChangeHandlers {
  /** A change was committed somewhere (the payload is a package id). */
  readonly onChange: (packageId: string) => void
  /** Listening (again): changes may have been missed while not. */
  readonly onListening: () => void
  readonly onDropped?: (err: unknown) => void
}

export interface ChangeListener {
  close(): Promise<void>
}

export function listenForChanges(connectionString: string, handlers: ChangeHandlers, opts: { maxBackoffMs?: number } = {}): ChangeListener {
  const maxBackoff = opts.maxBackoffMs ?? 5000
  let client: pg.Client | undefined
  let closed = false
  let backoff = 250
  let timer: NodeJS.Timeout | undefined

  const retry = (err: unknown) => {
    if (closed || timer) return
    handlers.onDropped?.(err)
    timer = setTimeout(() => {
      timer = undefined
      void connect()
    }, backoff)
    timer.unref()
    backoff = Math.min(backoff * 2, maxBackoff)
  }

  async function connect(): Promise<void> {
    // keepAlive: a connection cut without a FIN (a dead network path) is noticed by TCP keepalives.
    const c = new pg.Client({ connectionString, connectionTimeoutMillis: 5000, keepAlive: true, keepAliveInitialDelayMillis: 10_000 })
    client = c
    let failed = false
    const fail = (err: unknown) => {
      if (failed) return
      failed = true
      c.removeAllListeners('notification')
      void c.end().catch(() => undefined)
      retry(err)
    }
    c.on('error', fail)
    c.on('end', () => fail(new Error('listen connection ended')))
    c.on('notification', (m) => {
      if (m.channel === CATALOG_CHANNEL) handlers.onChange(m.payload ?? '')
    })
    try {
      await c.connect()
      await c.query(`LISTEN ${CATALOG_CHANNEL}`)
    } catch (err) {
      fail(err)
      return
    }
    if (closed) {
      await c.end().catch(() => undefined)
      return
    }
    backoff = 250
    handlers.onListening()
  }

  void connect()
  return {
    async close() {
      closed = true
      if (timer) clearTimeout(timer)
      const c = client
      if (c) {
        c.removeAllListeners()
        c.on('error', () => undefined)
        await c.end().catch(() => undefined)
      }
    },
  }
}
