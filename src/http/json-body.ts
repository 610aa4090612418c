// JSON request bodies of the store APIs, parsed with JSON.parse alone. Fastify's default parser also
// scans every body with two regular expressions for "__proto__" and "constructor" keys; that guards
// code which merges a body into other objects. These routes only copy named fields of a body into
// new objects (charmhub/routes/refresh.ts parse, snapstore/refresh-request.ts), so such keys stay
// inert data. The scans showed in a snap refresh's profile (decision 0006).
import type { FastifyInstance } from 'fastify'

class BodyError extends Error {
  readonly statusCode = 400
}

/** Replaces the JSON parser in `app`'s scope; `emptyAs` is what an empty body reads as (default: a 400, as Fastify answers). */
export function plainJsonBodies(app: FastifyInstance, opts: { emptyAs?: unknown } = {}): void {
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string
    if (text.trim() === '') {
      if (opts.emptyAs !== undefined) return done(null, opts.emptyAs)
      return done(new BodyError("Body cannot be empty when content-type is set to 'application/json'"), undefined)
    }
    try {
      done(null, JSON.parse(text))
    } catch (err) {
      done(new BodyError((err as Error).message), undefined)
    }
  })
}
