import pino, { type Logger } from 'pino'
import type { LogLevel } from './config/schema.js'

export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { service: 'airlock' }, timestamp: pino.stdTimeFunctions.isoTime })
}
