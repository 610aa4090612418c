// The catalog page through app.inject: escaping of hostile export text, security headers, 404
// pages for unknown packages, 400 pages (never 500) for hostile query strings, and routes that
// leave the APIs' answers as they were.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { buildCharmExport } from '../support/charm-builder.js'
import { HOSTILE_DESCRIPTION, HOSTILE_SUMMARY } from '../support/catalog-fixtures.js'
import { createTestApp, type TestApp } from '../support/test-app.js'

describe('catalog page', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp('pglite')
    const meta = stringify({ name: 'hostile-text', summary: HOSTILE_SUMMARY, description: HOSTILE_DESCRIPTION })
    const res = await t.push(
      '/admin/v1/charms',
      'x.tar.gz',
      await buildCharmExport({
        charms: [
          { name: 'hostile-text', revision: 1, metadataJson: false, files: { 'metadata.yaml': meta } },
          { name: 'plain', revision: 2, metadataJson: false },
        ],
      }),
    )
    expect(res.status).toBe(200)
  })
  afterAll(async () => {
    await t?.close()
  })

  const get = (url: string) => t.app.inject({ method: 'GET', url })

  it('renders hostile summaries and descriptions as text, with a strict CSP', async () => {
    for (const url of ['/', '/?q=evil', '/charms/hostile-text']) {
      const res = await get(url)
      expect(res.statusCode, url).toBe(200)
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(res.headers['content-security-policy']).toBe(
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      )
      expect(res.headers['x-content-type-options']).toBe('nosniff')
      expect(res.headers['referrer-policy']).toBe('no-referrer')
      expect(res.body).not.toMatch(/<script|<img|<style|<b>|<a href="javascript/i)
      expect(res.body).toContain(
        '&lt;script&gt;document.title=&quot;owned&quot;&lt;/script&gt; Evil &amp; &quot;quoted&quot; &lt;b&gt;bold&lt;/b&gt;',
      )
    }
    expect((await get('/charms/hostile-text')).body).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;')
  })

  it("answers unknown packages with a 404 page, and leaves the APIs' JSON 404s alone", async () => {
    const res = await get('/charms/no-such-thing')
    expect(res.statusCode).toBe(404)
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(res.body).toContain('There is no charm named “no-such-thing”')
    expect((await get('/snaps/plain')).statusCode).toBe(404) // a charm, not a snap
    const api = await get('/v2/charms/info/no-such-thing')
    expect(api.statusCode).toBe(404)
    expect(api.headers['content-type']).toBe('application/json')
    expect((await get('/v2/snaps/info/no-such-thing')).headers['content-type']).toBe('application/json')
  })

  it.each([
    ['/?q=' + 'a'.repeat(5000), 400],
    ['/?q=%E0%A4%A', 400],
    ['/?q=%zz', 400],
    ['/?q=%ED%A0%80', 400], // an encoded lone surrogate
    ['/?q=%00', 400],
    ['/?type=nonsense', 400],
    ['/?page=-1', 400],
    ['/?page=99999999999999999999', 400],
    ['/charms/%E0%A4%A', 400], // refused by the router itself, before any route: its plain JSON 400
    ['/charms/' + 'x'.repeat(3000), 414], // longer than the router's longest path parameter
    ['/?q=%F0%9F%90%98%20%E2%80%AE%CC%81', 200], // an emoji, a right-to-left override, a combining accent
    ['/?q=' + '%C3%A9'.repeat(150), 200], // 150 two-byte characters
  ])('GET %s answers %i, never 500', async (url, status) => {
    const res = await get(url)
    expect(res.statusCode).toBe(status)
    if (!url.startsWith('/charms/')) expect(res.headers['content-type']).toMatch(/^text\/html/)
  })

  it('pages through the list and serves its own stylesheet', async () => {
    expect((await get('/?page=5')).statusCode).toBe(200) // past the end: the last page
    const css = await get('/static/airlock.css')
    expect(css.statusCode).toBe(200)
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8')
    expect(css.body).not.toMatch(/url\(|@import/)
  })
})
