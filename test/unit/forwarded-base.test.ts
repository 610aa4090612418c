// X-Forwarded-Proto/-Host change the public base only from a trusted proxy, and only to a plain
// scheme and host; the configuration refuses entries that are not addresses or CIDR blocks.
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { forwardedBase, perRequestBase, trustedProxies } from '../../src/http/forwarded-base.js'
import { isProxySpec } from '../../src/config/proxy-spec.js'
import { ConfigError, loadConfig } from '../../src/config/load.js'

const BASE = 'http://store.internal:8080'
const trusted = trustedProxies(['10.0.0.0/8', '192.168.1.7', 'fd00::/64'])
const fwd = (headers: Record<string, string | string[]>, remote = '10.1.2.3', base = BASE) => forwardedBase(base, headers, remote, trusted)

describe('forwardedBase', () => {
  it('takes scheme and host from a trusted proxy, dropping the default port', () => {
    expect(fwd({ 'x-forwarded-proto': 'https', 'x-forwarded-host': 'store.example.com' })).toBe('https://store.example.com')
    expect(fwd({ 'x-forwarded-proto': 'HTTPS', 'x-forwarded-host': 'store.example.com:443' })).toBe('https://store.example.com')
    expect(fwd({ 'x-forwarded-proto': 'https', 'x-forwarded-host': 'store.example.com:8443' })).toBe('https://store.example.com:8443')
    expect(fwd({ 'x-forwarded-host': 'lb.example:80' })).toBe('http://lb.example')
    expect(fwd({ 'x-forwarded-host': '[fd00::9]:8080' }, 'fd00::1')).toBe('http://[fd00::9]:8080')
  })

  it("keeps the public URL's host when only the scheme is forwarded, and its path always", () => {
    expect(fwd({ 'x-forwarded-proto': 'https' })).toBe('https://store.internal:8080')
    expect(fwd({ 'x-forwarded-host': 'a.example' }, '10.0.0.1', 'https://x.example/airlock')).toBe('https://a.example/airlock')
  })

  it("uses the outermost proxy's value of a list", () => {
    expect(fwd({ 'x-forwarded-proto': 'https, http', 'x-forwarded-host': 'outer.example, inner.local' })).toBe('https://outer.example')
    expect(fwd({ 'x-forwarded-host': ['one.example', 'two.example'] })).toBe('http://one.example')
  })

  it('ignores the headers from peers that are not trusted, IPv4-mapped peers matched as IPv4', () => {
    const h = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' }
    expect(fwd(h, '11.0.0.1')).toBeUndefined()
    expect(fwd(h, '192.168.1.8')).toBeUndefined()
    expect(fwd(h, 'fd01::1')).toBeUndefined()
    expect(forwardedBase(BASE, h, undefined, trusted)).toBeUndefined()
    expect(fwd(h, '::ffff:192.168.1.7')).toBe('https://evil.example')
    expect(fwd(h, '::ffff:11.0.0.1')).toBeUndefined()
  })

  it('ignores values that are not a plain scheme or host', () => {
    expect(fwd({})).toBeUndefined()
    expect(fwd({ 'x-forwarded-proto': 'javascript' })).toBeUndefined()
    expect(fwd({ 'x-forwarded-host': 'a.example/evil' })).toBeUndefined()
    expect(fwd({ 'x-forwarded-host': 'a.example"><script>' })).toBeUndefined()
    expect(fwd({ 'x-forwarded-host': 'user@a.example' })).toBeUndefined()
    expect(fwd({ 'x-forwarded-proto': 'ftp', 'x-forwarded-host': 'ok.example' })).toBe('http://ok.example')
    expect(fwd({ 'x-forwarded-proto': 'https', 'x-forwarded-host': 'a..b' })).toBe('https://store.internal:8080')
  })
})

describe('perRequestBase', () => {
  async function app(specs: string[]) {
    const a = Fastify()
    const base = perRequestBase(a, specs, () => BASE)
    a.get('/b', async () => {
      await new Promise((r) => setTimeout(r, 5))
      return { base: base() }
    })
    a.post('/b', async () => {
      await new Promise((r) => setImmediate(r))
      return { base: base() }
    })
    await a.ready()
    return { a, base }
  }

  it('answers the forwarded base inside a trusted request, across awaits and after a body is read', async () => {
    const { a, base } = await app(['127.0.0.1'])
    const h = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'lb.example' }
    expect((await a.inject({ url: '/b', headers: h, remoteAddress: '127.0.0.1' })).json()).toEqual({ base: 'https://lb.example' })
    expect((await a.inject({ method: 'POST', url: '/b', headers: h, payload: { x: 1 }, remoteAddress: '127.0.0.1' })).json()).toEqual({
      base: 'https://lb.example',
    })
    expect((await a.inject({ url: '/b', headers: h, remoteAddress: '127.0.0.2' })).json()).toEqual({ base: BASE })
    expect(base()).toBe(BASE)
    await a.close()
  })

  it('installs nothing without trusted proxies', async () => {
    const { a, base } = await app([])
    expect((await a.inject({ url: '/b', headers: { 'x-forwarded-host': 'lb.example' }, remoteAddress: '127.0.0.1' })).json()).toEqual({
      base: BASE,
    })
    expect(base()).toBe(BASE)
    await a.close()
  })
})

describe('trusted-proxies setting', () => {
  it('accepts addresses and CIDR blocks of both families', () => {
    for (const s of ['127.0.0.1', '10.0.0.0/8', '0.0.0.0/0', '::1', 'fd00::/64', '::/0']) expect(isProxySpec(s), s).toBe(true)
    for (const s of ['', 'localhost', '10.0.0.0/33', 'fd00::/129', '10.0.0.1/8/1', '10.0.0/8', '1.2.3.4/x'])
      expect(isProxySpec(s), s).toBe(false)
    expect(loadConfig({ env: { AIRLOCK_TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8' } }).trustedProxies).toEqual(['127.0.0.1', '10.0.0.0/8'])
    expect(loadConfig({ env: {} }).trustedProxies).toEqual([])
  })

  it('refuses an entry that is neither, naming the setting', () => {
    expect(() => loadConfig({ env: { AIRLOCK_TRUSTED_PROXIES: '127.0.0.1,lb.local' } })).toThrow(ConfigError)
    expect(() => loadConfig({ env: { AIRLOCK_TRUSTED_PROXIES: '127.0.0.1,lb.local' } })).toThrow(
      /invalid trusted-proxies \(from environment variable AIRLOCK_TRUSTED_PROXIES\)/,
    )
  })
})
