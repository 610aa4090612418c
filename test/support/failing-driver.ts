// A storage driver wrapper that behaves as an object store going down: from the Nth driver call on
// (counting every call, in order), each call rejects with code EUNAVAILABLE as the S3 driver does when
// the store is unreachable, until up() is called. Used to check that a push failing at any one of its
// driver calls commits nothing and leaves the store as it was.
import { Readable } from 'node:stream'
import type { DriverObject, RandomAccessReader, StorageDriver } from '../../src/storage/blobs/driver.js'

export interface FailingDriver extends StorageDriver {
  /** Driver calls so far (each method call counts one; a list() counts one per page it starts). */
  readonly calls: number
  /** The names of the calls so far, in order: for messages. */
  readonly log: readonly string[]
  /** Calls from the `nth` on (1-based, counted from now) fail until up(); 1 fails the next call. */
  failFrom(nth: number): void
  /** The store answers again. */
  up(): void
}

export const storeDown = (what: string): Error & { code: string } =>
  Object.assign(new Error(`the object store is unavailable (ECONNREFUSED, test: ${what})`), { code: 'EUNAVAILABLE' })

export function failingDriver(inner: StorageDriver): FailingDriver {
  let calls = 0
  let failAt = Infinity
  const log: string[] = []
  const gate = (what: string): void => {
    calls++
    log.push(what)
    if (calls >= failAt) throw storeDown(what)
  }
  const d: FailingDriver = {
    kind: inner.kind,
    get calls() {
      return calls
    },
    log,
    failFrom(nth) {
      failAt = calls + nth
    },
    up() {
      failAt = Infinity
    },
    async put(key, body) {
      try {
        gate('put')
      } catch (err) {
        body.destroy()
        throw err
      }
      // The store may go down while the body streams: checked again once it has been read.
      await inner.put(key, body)
      gate('put (end)')
    },
    async move(from, to) {
      gate('move')
      await inner.move(from, to)
    },
    async get(key, range) {
      gate('get')
      const s = await inner.get(key, range)
      return s instanceof Readable ? s : Readable.from(s)
    },
    async reader(key): Promise<RandomAccessReader> {
      gate('reader')
      const r = await inner.reader(key)
      return {
        size: r.size,
        async read(into, position, length) {
          gate('read')
          return r.read(into, position, length)
        },
        close: () => r.close(),
      }
    },
    async stat(key) {
      gate('stat')
      return inner.stat(key)
    },
    async delete(key) {
      gate('delete')
      await inner.delete(key)
    },
    async *list(prefix): AsyncIterable<DriverObject> {
      gate('list')
      yield* inner.list(prefix)
    },
    check: () => inner.check(),
    close: () => inner.close(),
  }
  return d
}
