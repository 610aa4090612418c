// The catalog page in a real browser (Debian's Chromium through playwright-core) against the real
// server process filled through the CLI: pages load with no console errors and no request leaving
// the server, pass axe-core with no serious or critical violations, and are saved as screenshots
// at a desktop and a phone width under test-output/screenshots/.
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { CATALOG_SERVER_ARGS, HOSTILE_SUMMARY, fillCatalog } from '../support/catalog-fixtures.js'
import { ROOT, removeDir, startServer, type RunningServer } from '../support/server-process.js'
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/postgres.js'

const CHROMIUM = '/usr/bin/chromium'
const SHOTS = join(ROOT, 'test-output/screenshots')
const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js')
if (!existsSync(CHROMIUM)) console.warn(`skipping the browser tests: ${CHROMIUM} is missing (scripts/install-test-deps.sh installs it)`)

describe.skipIf(!existsSync(CHROMIUM))('the catalog page in Chromium', () => {
  let server: RunningServer
  let fixtures: string
  let profile: string
  let browser: BrowserContext
  let axe: string
  let pgdb: TestDatabase | undefined

  beforeAll(async () => {
    // PostgreSQL when there is one: it starts faster than the embedded database on a busy machine.
    if ((await postgresAvailable()).ok) pgdb = await createTestDatabase()
    server = await startServer({ args: CATALOG_SERVER_ARGS, databaseUrl: pgdb?.url })
    fixtures = await mkdtemp(join(tmpdir(), 'airlock-catalog-page-'))
    profile = await mkdtemp(join(tmpdir(), 'airlock-chromium-'))
    await fillCatalog(server, fixtures)
    await mkdir(SHOTS, { recursive: true })
    axe = await readFile(AXE_SOURCE, 'utf8')
    // A fresh profile directory (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      // The page's CSP would block the injected axe-core; checked as a header instead. Without it,
      // only escaping keeps hostile text inert, which is what the hostile-text test shows.
      bypassCSP: true,
    })
  }, 120_000)
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    await pgdb?.drop()
    if (server) await removeDir(server.dataDir)
    for (const d of [fixtures, profile]) if (d) await removeDir(d)
  })

  /** Opens `path` at `width`, checks it, saves a screenshot; returns the page (closed by the caller). */
  async function visit(path: string, shot: string, width: number): Promise<Page> {
    const page = await browser.newPage()
    await page.setViewportSize({ width, height: 900 })
    const problems: string[] = []
    const origin = new URL(server.url).origin
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`)
    })
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
    page.on('request', (r) => {
      if (new URL(r.url()).origin !== origin) problems.push(`request left the server: ${r.url()}`)
    })
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`))
    const res = await page.goto(`${server.url}${path}`, { waitUntil: 'load' })
    expect(res?.status(), path).toBe(200)
    expect(res?.headers()['content-security-policy']).toBe(
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    )
    expect(res?.headers()['x-content-type-options']).toBe('nosniff')
    await page.addScriptTag({ content: axe })
    const result = await page.evaluate(async () => {
      const r = await (
        globalThis as unknown as {
          axe: { run(o: object): Promise<{ violations: Array<{ id: string; impact: string; help: string; nodes: unknown[] }> }> }
        }
      ).axe.run({ resultTypes: ['violations'] })
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }))
    })
    const serious = result.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    expect(serious, `${path} at ${width}px`).toEqual([])
    await page.screenshot({ path: join(SHOTS, `${shot}-${width}.png`), fullPage: true })
    expect(problems, path).toEqual([])
    return page
  }

  const widths = [1280, 390]

  it.each(widths)('lists the catalog at %i px', async (width) => {
    const page = await visit('/', 'list', width)
    const names = await page.locator('ul.packages a.name').allTextContents()
    expect(names).toEqual(expect.arrayContaining(['postgresql', 'postgresql-k8s', 'postgresql-bundle', 'jq', 'htop', 'hostile-text']))
    // Hostile text is shown as text: the summary is there verbatim and no script ran.
    expect(await page.locator('li', { hasText: 'hostile-text' }).locator('.summary').textContent()).toBe(HOSTILE_SUMMARY)
    expect(await page.title()).not.toBe('owned')
    await page.close()
  })

  it.each(widths)('searches at %i px', async (width) => {
    const page = await visit('/?q=postgres', 'search', width)
    const names = await page.locator('ul.packages a.name').allTextContents()
    expect(names.sort()).toEqual(['pgbouncer', 'postgresql', 'postgresql-bundle', 'postgresql-k8s'].filter((n) => names.includes(n)).sort())
    expect(names).toContain('postgresql-k8s')
    expect(names).not.toContain('jq')
    expect(await page.locator('input[type=search]').inputValue()).toBe('postgres')
    await page.close()
  })

  it.each(widths)('shows a charm with its channels, resources, image and deploy commands at %i px', async (width) => {
    const page = await visit('/charms/postgresql-k8s', 'charm', width)
    const text = await page.locator('main').innerText()
    expect(text).toContain('juju deploy postgresql-k8s')
    expect(text).toContain(`charmhub-url=${server.url}`)
    expect(text).toContain('postgresql-image')
    expect(text).toContain('registry.jujucharms.com/charm/kotcfrohea62xreenq1q75n1lyspke0qkurhk/postgresql-image@sha256:')
    expect(text).toContain('backup-tools')
    expect(text).toMatch(/ubuntu@22\.04\/amd64/)
    await page.close()
  })

  it.each(widths)('shows a snap with its channel map and install commands at %i px', async (width) => {
    const page = await visit('/snaps/jq', 'snap', width)
    const text = await page.locator('main').innerText()
    expect(text).toContain('snap install jq --channel latest/stable')
    expect(text).toContain('snap install jq --channel latest/edge')
    expect(text).toContain(`SNAPPY_FORCE_API_URL=${server.url}/`)
    expect(text).toContain('1.8.0-dev')
    await page.close()
  })

  it.each(widths)('shows a bundle with its applications at %i px', async (width) => {
    const page = await visit('/bundles/postgresql-bundle', 'bundle', width)
    const rows = await page.locator('#contents ~ .table-wrap tbody tr').allInnerTexts()
    expect(rows.join('\n')).toMatch(/db\s+postgresql\s+14\/stable\s+3/)
    expect(rows.join('\n')).toMatch(/pool\s+pgbouncer/)
    expect(await page.locator('a', { hasText: 'pgbouncer' }).first().getAttribute('href')).toBe('/charms/pgbouncer')
    await page.close()
  })

  it('shows hostile text as text on its package page', async () => {
    const page = await visit('/charms/hostile-text', 'hostile', 1280)
    expect(await page.locator('.description').textContent()).toContain('<img src=x onerror="alert(1)">')
    expect(await page.locator('main img, main script, main style').count()).toBe(0)
    expect(await page.title()).not.toBe('owned')
    await page.close()
  })
})
