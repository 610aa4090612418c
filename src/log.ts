import pino, { type Logger } from 'pino'
import type { LogLevel } from './config/schema.js'

/** Bytes of log lines held before a write; at most FLUSH_MS old. */
const BATCH_BYTES = 4096
const FLUSH_MS = 1000
const BASE = { service: 'airlock' }
const BASE_MEMBERS = JSON.stringify(BASE).slice(1, -1)

let timeSecond = NaN
let timeHead = ''
/**
 * pino's `isoTime` (`,"time":"2026-11-25T21:00:00.123Z"`), with the formatted second reused: a
 * Date and toISOString per line showed in a cached Charmhub refresh's profile (decision 0006).
 */
export function isoTime(): string {
  const now = Date.now()
  const second = Math.floor(now / 1000)
  if (second !== timeSecond) {
    timeSecond = second
    timeHead = `,"time":"${new Date(second * 1000).toISOString().slice(0, 20)}`
  }
  const ms = now - second * 1000
  return `${timeHead}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z"`
}

/** Writes a line of `level` whose own members (already JSON, `"msg"` last) are `members`. */
export type PlainLineWriter = (level: number, members: string) => void
const plainWriters = new WeakMap<Logger, PlainLineWriter>()

/**
 * For a logger made by createLogger: a writer of lines byte for byte as the logger writes them
 * (level, time, base, then the members), for the access log, whose one line per request through
 * pino's generic serialiser cost more (decision 0006). Undefined for other loggers.
 */
export const plainLineWriter = (logger: Logger): PlainLineWriter | undefined => plainWriters.get(logger)

/** Where lines go: anything with pino's `write(line)`; stdout, batched, by default. */
export interface LogDestination {
  write(line: string): unknown
}

export function createLogger(level: LogLevel, destination: LogDestination = batchedStdout()): Logger {
  const logger = pino({ level, base: BASE, timestamp: isoTime }, destination)
  plainWriters.set(logger, (lineLevel, members) => {
    destination.write(`{"level":${lineLevel}${isoTime()},${BASE_MEMBERS},${members}}\n`)
  })
  return logger
}

function batchedStdout(): LogDestination {
  // Synchronous writes of batched lines, on the main thread: under load an access line per request
  // made a write per request, and in asynchronous mode each write also woke a libuv pool thread
  // (together a large share of a cached Charmhub refresh's CPU, decision 0006). A timer flushes a partial
  // batch, so a quiet server's lines are out within FLUSH_MS, and so does the process's exit (pino
  // itself flushes at exit only asynchronous destinations).
  const destination = pino.destination({ dest: 1, sync: true, minLength: BATCH_BYTES })
  setInterval(() => {
    try {
      destination.flush()
    } catch {
      /* closed at exit */
    }
  }, FLUSH_MS).unref()
  process.once('exit', () => {
    try {
      destination.flushSync()
    } catch {
      /* nothing buffered, or closed */
    }
  })
  return destination
}
