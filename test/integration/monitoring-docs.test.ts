// docs/grafana-dashboard.json and docs/prometheus-alerts.yml read only metrics the server exposes:
// every metric name in their PromQL is looked up in a live GET /metrics of the whole app.
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { createTestApp, type TestApp } from '../support/test-app.js'
import { parsePrometheusText } from '../support/prometheus-text.js'

const DOCS = new URL('../../docs/', import.meta.url).pathname
/** Prometheus' own series, not the server's. */
const PROMETHEUS_SERIES = new Set(['up'])
const KEYWORDS = new Set(['by', 'without', 'and', 'or', 'unless', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset'])

/** The metric names a PromQL expression reads. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings (label values, regexes)
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '') // label lists
  const names: string[] = []
  for (const m of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*(\(?))/g)) {
    const word = m[0]
    if (KEYWORDS.has(word) || m[1] === '(' || /^\d/.test(word)) continue
    if (/^[a-z]+$/.test(word) && !PROMETHEUS_SERIES.has(word) && !word.includes('_')) continue // 'le', 'inf'…
    names.push(word)
  }
  return names
}

interface Panel {
  title: string
  targets?: Array<{ expr: string }>
  panels?: Panel[]
}

describe('monitoring docs against a live /metrics', () => {
  let t: TestApp
  let exposed: Set<string>
  beforeAll(async () => {
    t = await createTestApp('pglite')
    const res = await t.app.inject({ method: 'GET', url: '/metrics' })
    expect(res.statusCode).toBe(200)
    exposed = new Set([...parsePrometheusText(res.body).values()].flatMap((f) => [f.name, ...f.samples.map((s) => s.name)]))
    // Histogram families expose _bucket, _sum and _count even before their first observation.
    for (const f of parsePrometheusText(res.body).values())
      if (f.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) exposed.add(f.name + s)
  })
  afterAll(async () => {
    await t?.close()
  })

  it('reads names out of PromQL', () => {
    expect(
      metricNames('sum by (le, route) (rate(a_b_bucket{job=~"x", status=~"5.."}[5m])) / on (instance) c_total > 0.05 and up == 0'),
    ).toEqual(['a_b_bucket', 'c_total', 'up'])
  })

  it('the Grafana dashboard is valid JSON whose every panel query reads exposed metrics', () => {
    const dash = JSON.parse(readFileSync(`${DOCS}grafana-dashboard.json`, 'utf8')) as {
      title: string
      uid: string
      panels: Panel[]
      schemaVersion: number
    }
    expect(dash.title).toBeTruthy()
    expect(dash.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/)
    const panels = dash.panels.flatMap((p) => [p, ...(p.panels ?? [])])
    const exprs = panels.flatMap((p) => (p.targets ?? []).map((x) => ({ panel: p.title, expr: x.expr })))
    expect(exprs.length).toBeGreaterThan(10)
    const ids = dash.panels.map((p) => (p as unknown as { id: number }).id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const { panel, expr } of exprs) {
      const names = metricNames(expr)
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0)
      for (const n of names) expect(exposed.has(n), `${panel} reads ${n}, which /metrics does not expose`).toBe(true)
    }
    const all = new Set(exprs.flatMap((e) => metricNames(e.expr)))
    for (const wanted of [
      'airlock_http_requests_total',
      'airlock_http_request_duration_seconds_bucket',
      'airlock_bytes_served_total',
      'airlock_imports_total',
      'airlock_catalog_packages',
      'airlock_blob_store_bytes',
      'airlock_cache_hits_total',
      'process_resident_memory_bytes',
      'process_cpu_seconds_total',
    ]) {
      expect(all.has(wanted), `the dashboard shows ${wanted}`).toBe(true)
    }
  })

  it('the alert rules are valid YAML whose every expression reads exposed metrics', () => {
    const doc = parseYaml(readFileSync(`${DOCS}prometheus-alerts.yml`, 'utf8')) as {
      groups: Array<{ name: string; rules: Array<{ alert: string; expr: string; for?: string }> }>
    }
    const rules = doc.groups.flatMap((g) => g.rules)
    const names = rules.map((r) => r.alert)
    for (const a of ['AirlockDatabaseDown', 'AirlockImportFailures', 'AirlockBlobStoreDiskAlmostFull', 'AirlockHighErrorRate'])
      expect(names).toContain(a)
    for (const r of rules) {
      expect(r.alert).toMatch(/^[A-Za-z][A-Za-z0-9]*$/)
      if (r.for !== undefined) expect(r.for).toMatch(/^\d+[smhd]$/)
      const used = metricNames(r.expr)
      expect(used.length, r.alert).toBeGreaterThan(0)
      for (const n of used)
        expect(PROMETHEUS_SERIES.has(n) || exposed.has(n), `${r.alert} reads ${n}, which /metrics does not expose`).toBe(true)
    }
  })
})
