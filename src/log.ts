import pino, { type Logger } from 'pino'
import type { LogLevel } from './config/schema.js'

/** Bytes of log lines held before a write; at most FLUSH_MS old. */
const BATCH_BYTES = 4096
const FLUSH_MS = 1000

export function createLogger(level: LogLevel): Logger {
  // Synchronous writes of batched lines, on the main thread: under load an access line per request
  // made a write per request, and in asynchronous mode each write also woke a libuv pool thread
  // (together ~25% of a cached Charmhub refresh's CPU, bench/charmhub). A timer flushes a partial
  // batch, so a quiet server's lines are out within FLUSH_MS, and so does the process's exit (pino
  // itself flushes at exit only asynchronous destinations).
  const destination = pino.destination({ dest: 1, sync: true, minLength: BATCH_BYTES })
  setInterval(() => { try { destination.flush() } catch { /* closed at exit */ } }, FLUSH_MS).unref()
  process.once('exit', () => { try { destination.flushSync() } catch { /* nothing buffered, or closed */ } })
  return pino({ level, base: { service: 'airlock' }, timestamp: pino.stdTimeFunctions.isoTime }, destination)
}
