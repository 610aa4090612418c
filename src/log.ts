import pino, { type Logger } from 'pino'
import type { LogLevel } from './config/schema.js'

export function createLogger(level: LogLevel): Logger {
  // Asynchronous writes: under load, lines that arrive while a write is in flight go out together in
  // the next one (a write per line was a syscall per request); pino flushes what is left at exit.
  const destination = pino.destination({ dest: 1, sync: false })
  return pino({ level, base: { service: 'airlock' }, timestamp: pino.stdTimeFunctions.isoTime }, destination)
}
