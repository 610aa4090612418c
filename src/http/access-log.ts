// Request logging that costs little on the hot path: one access line per answered request, and a
// per-request logger that becomes a real pino child only when a route logs something of its own.
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Bindings, ChildLoggerOptions, Logger } from 'pino'
import { plainLineWriter, type PlainLineWriter } from '../log.js'

/**
 * The access log: one line per answered request with what an operator greps for, instead of
 * Fastify's two with full request and response serialisations (a large share of a Charmhub
 * refresh's or info's CPU, decision 0006). Written through the root logger with the request id
 * as a field, so a request that logs nothing else never needs its child logger. The line is the
 * same as a child's would be: {…, "reqId", "method", "url", "status", "ms", "msg": "request"}.
 * Health probes come every few seconds and stay out. URLs longer than MAX_LOGGED_URL are cut
 * there (ending in "…"): Juju's info requests carry a long `fields` list, the same each time, and
 * escaping and writing it cost more than the rest of the line. With a logger from createLogger the
 * line is formatted here and written as that logger would write it (pino's generic serialiser
 * costs more); with any other logger, through the logger.
 */
const MAX_LOGGED_URL = 256

export class AccessLog extends LogController {
  private readonly plain: PlainLineWriter | undefined
  private readonly infoLevel: number

  /** `observe`: called for every answered request, health probes included (the metrics count there). */
  constructor(
    private readonly root: Logger,
    private readonly observe?: (req: FastifyRequest, reply: FastifyReply) => void,
  ) {
    super({ disableRequestLogging: (req: FastifyRequest) => req.url === '/_status/check' })
    this.plain = plainLineWriter(root)
    this.infoLevel = root.levels.values.info!
  }

  override incomingRequest(): void {}
  // The access line of a 404 says it; no second line.
  override routeNotFound(): void {}

  override requestCompleted(error: Error | null | undefined, req: FastifyRequest, reply: FastifyReply): void {
    this.observe?.(req, reply)
    if (this.isLogDisabled(req)) return
    const url = req.url.length > MAX_LOGGED_URL ? `${req.url.slice(0, MAX_LOGGED_URL)}…` : req.url
    const ms = Math.round(reply.elapsedTime * 10) / 10
    if (error) {
      this.root.error({ reqId: req.id, method: req.method, url, status: reply.statusCode, ms, err: error }, 'request errored')
      return
    }
    if (!this.root.isLevelEnabled('info')) return
    if (this.plain) {
      this.plain(
        this.infoLevel,
        `"reqId":${JSON.stringify(req.id)},"method":${JSON.stringify(req.method)},"url":${JSON.stringify(url)},"status":${reply.statusCode},"ms":${ms},"msg":"request"`,
      )
    } else {
      this.root.info({ reqId: req.id, method: req.method, url, status: reply.statusCode, ms }, 'request')
    }
  }
}

/**
 * Fastify's childLoggerFactory: `request.log` as a stand-in that makes the pino child (with the
 * request id bound) on first use. pino.child per request showed in a cached answer's profile, and
 * most requests log nothing but their access line.
 */
export function lazyRequestLogger(
  this: unknown,
  parent: FastifyBaseLogger,
  bindings: Bindings,
  opts: ChildLoggerOptions,
): FastifyBaseLogger {
  return new LazyChild(parent, bindings, opts) as unknown as FastifyBaseLogger
}

type LogFn = (...args: unknown[]) => void

class LazyChild {
  #real: FastifyBaseLogger | undefined
  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly opts: ChildLoggerOptions,
  ) {}

  private get real(): FastifyBaseLogger {
    return (this.#real ??= this.parent.child(this.bindings, this.opts))
  }

  get level(): string {
    return this.real.level
  }
  set level(l: string) {
    this.real.level = l
  }
  isLevelEnabled(l: string): boolean {
    return (this.real as unknown as Logger).isLevelEnabled(l)
  }
  child(b: Bindings, o?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real.child(b, o)
  }
  fatal(...a: unknown[]): void {
    this.call('fatal', a)
  }
  error(...a: unknown[]): void {
    this.call('error', a)
  }
  warn(...a: unknown[]): void {
    this.call('warn', a)
  }
  info(...a: unknown[]): void {
    this.call('info', a)
  }
  debug(...a: unknown[]): void {
    this.call('debug', a)
  }
  trace(...a: unknown[]): void {
    this.call('trace', a)
  }
  silent(): void {}

  private call(method: string, args: unknown[]): void {
    // A member call, so pino's methods get their logger as `this`.
    ;(this.real as unknown as Record<string, LogFn>)[method]!(...args)
  }
}
