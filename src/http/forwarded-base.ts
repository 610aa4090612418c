// The public base of a request that came through a trusted reverse proxy (docs/operations.md,
// "Behind a load balancer"). Only the proxies listed in trusted-proxies may say which scheme and host
// the client used: from anyone else X-Forwarded-* headers are ignored, so a client cannot make Airlock
// hand out download URLs pointing elsewhere.
import { AsyncLocalStorage } from 'node:async_hooks'
import { BlockList, isIP } from 'node:net'
import type { FastifyInstance } from 'fastify'

import { isProxySpec } from '../config/proxy-spec.js'

export function trustedProxies(specs: readonly string[]): BlockList {
  const list = new BlockList()
  for (const spec of specs) {
    if (!isProxySpec(spec)) throw new Error(`not an address or CIDR block: ${spec}`)
    const [addr, bits] = spec.split('/') as [string, string | undefined]
    const type = isIP(addr) === 4 ? 'ipv4' : 'ipv6'
    if (bits === undefined) list.addAddress(addr, type)
    else list.addSubnet(addr, Number(bits), type)
  }
  return list
}

function isTrusted(list: BlockList, remote: string | undefined): boolean {
  if (!remote) return false
  // A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d.
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote)?.[1]
  if (v4) return list.check(v4, 'ipv4')
  const family = isIP(remote)
  return family !== 0 && list.check(remote, family === 4 ? 'ipv4' : 'ipv6')
}

/** The first value of a header a chain of proxies may have appended to: the outermost proxy's. */
function first(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value
  return v?.split(',')[0]?.trim() || undefined
}

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/

/**
 * `base` with the scheme from X-Forwarded-Proto and the host[:port] from X-Forwarded-Host when the
 * peer is a trusted proxy; `base`'s path stays. A header that is not a plain scheme or host is
 * ignored rather than echoed into URLs. Undefined when nothing applies (the caller keeps `base`).
 */
export function forwardedBase(
  base: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  remote: string | undefined,
  trusted: BlockList,
): string | undefined {
  const protoRaw = first(headers['x-forwarded-proto'])?.toLowerCase()
  const hostRaw = first(headers['x-forwarded-host'])
  if (protoRaw === undefined && hostRaw === undefined) return undefined
  if (!isTrusted(trusted, remote)) return undefined
  const proto = protoRaw === 'http' || protoRaw === 'https' ? protoRaw : undefined
  const host = hostRaw !== undefined && HOST.test(hostRaw) ? hostRaw.toLowerCase() : undefined
  if (proto === undefined && host === undefined) return undefined
  const m = /^(https?):\/\/([^/]+)(.*)$/.exec(base)
  if (!m) return undefined
  const scheme = proto ?? m[1]!
  // An explicit default port is not what the client typed: drop it.
  const h = (host ?? m[2]!).replace(scheme === 'https' ? /:443$/ : /:80$/, '')
  return `${scheme}://${h}${m[3]}`
}

/**
 * Makes `base` answer per request: the forwarded base while a trusted proxy's request is handled,
 * the configured one otherwise. Installed only when proxies are configured (no cost otherwise).
 * preValidation runs after the body is read, whose stream events would lose an earlier context.
 */
export function perRequestBase(app: FastifyInstance, specs: readonly string[], base: () => string): () => string {
  if (specs.length === 0) return base
  const trusted = trustedProxies(specs)
  const current = new AsyncLocalStorage<string>()
  app.addHook('preValidation', (request, _reply, done) => {
    const b = forwardedBase(base(), request.headers, request.socket.remoteAddress, trusted)
    if (b === undefined) done()
    else current.run(b, done)
  })
  return () => current.getStore() ?? base()
}
