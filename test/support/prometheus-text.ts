// A strict reader of the Prometheus text exposition format (version 0.0.4): anything a scraper
// could misread is an error here, so a test that parses /metrics proves Prometheus can read it.
// Checks: HELP and TYPE before a family's samples and at most once each; metric and label names
// well formed; label values properly quoted and escaped; no label twice on a sample; no series
// twice; every value a float; samples of a family together; histogram buckets cumulative, ending
// in le="+Inf" equal to _count, with _sum present.

export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}
export interface Family {
  readonly name: string
  type: string
  help: string
  readonly samples: Sample[]
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])

/** As Prometheus reads values (Go's strconv.ParseFloat): special values in any letter case. */
function parseValue(s: string, line: number): number {
  if (/^\+?inf(inity)?$/i.test(s)) return Infinity
  if (/^-inf(inity)?$/i.test(s)) return -Infinity
  if (/^[-+]?nan$/i.test(s)) return NaN
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`line ${line}: bad value ${JSON.stringify(s)}`)
  return Number(s)
}

function parseLabels(text: string, line: number): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {}
  let i = 0
  for (;;) {
    while (text[i] === ' ') i++
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) }
    const eq = text.indexOf('=', i)
    if (eq < 0) throw new Error(`line ${line}: label without '='`)
    const name = text.slice(i, eq).trim()
    if (!LABEL_NAME.test(name)) throw new Error(`line ${line}: bad label name ${JSON.stringify(name)}`)
    if (name in labels) throw new Error(`line ${line}: label ${name} twice`)
    if (text[eq + 1] !== '"') throw new Error(`line ${line}: label ${name} value not quoted`)
    let v = ''
    let j = eq + 2
    for (; ; j++) {
      const c = text[j]
      if (c === undefined) throw new Error(`line ${line}: unterminated label value`)
      if (c === '"') break
      if (c === '\\') {
        const n = text[++j]
        if (n === 'n') v += '\n'
        else if (n === '\\' || n === '"') v += n
        else throw new Error(`line ${line}: bad escape \\${n ?? ''}`)
      } else v += c
    }
    labels[name] = v
    i = j + 1
    if (text[i] === ',') i++
    else if (text[i] !== '}') throw new Error(`line ${line}: expected ',' or '}' after label ${name}`)
  }
}

/** The family a sample name belongs to: histogram and summary samples carry suffixes. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const f = families.get(name)
  if (f) return f
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue
    const g = families.get(name.slice(0, -suffix.length))
    if (g && (g.type === 'histogram' || g.type === 'summary')) return g
  }
  return undefined
}

export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('exposition does not end with a newline')
  const families = new Map<string, Family>()
  const seenSeries = new Set<string>()
  const closed = new Set<string>()
  let current: Family | undefined
  const lines = text.split('\n')
  lines.pop()
  lines.forEach((raw, k) => {
    const n = k + 1
    if (raw === '') return
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw)
      if (!m) return // a plain comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string]
      if (!METRIC_NAME.test(name)) throw new Error(`line ${n}: bad metric name ${name}`)
      let f = families.get(name)
      if (f && f.samples.length > 0) throw new Error(`line ${n}: ${kind} for ${name} after its samples`)
      if (!f) {
        if (current) closed.add(current.name)
        f = { name, type: '', help: '', samples: [] }
        families.set(name, f)
        current = f
      }
      if (kind === 'TYPE') {
        if (f.type) throw new Error(`line ${n}: second TYPE for ${name}`)
        if (!TYPES.has(rest)) throw new Error(`line ${n}: unknown type ${rest}`)
        f.type = rest
      } else {
        if (f.help) throw new Error(`line ${n}: second HELP for ${name}`)
        f.help = rest
      }
      return
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{|\s)(.*)$/.exec(raw)
    if (!m) throw new Error(`line ${n}: not a sample: ${raw}`)
    const name = m[1]!
    let rest = m[3]!
    let labels: Record<string, string> = {}
    if (m[2] === '{') ({ labels, rest } = parseLabels(rest, n))
    const parts = rest.trim().split(/\s+/)
    if (parts.length < 1 || parts.length > 2 || parts[0] === '')
      throw new Error(`line ${n}: expected a value (and a timestamp) after ${name}`)
    const value = parseValue(parts[0]!, n)
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) throw new Error(`line ${n}: bad timestamp`)
    const f = familyOf(name, families)
    if (!f || !f.type) throw new Error(`line ${n}: sample ${name} without a TYPE line before it`)
    if (closed.has(f.name) || f !== current) throw new Error(`line ${n}: samples of ${f.name} are not together`)
    const series = `${name}${JSON.stringify(Object.entries(labels).sort())}`
    if (seenSeries.has(series)) throw new Error(`line ${n}: series ${series} twice`)
    seenSeries.add(series)
    f.samples.push({ name, labels, value })
  })
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f)
  return families
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, Sample[]>()
  const keyOf = (s: Sample): string =>
    JSON.stringify(
      Object.entries(s.labels)
        .filter(([k]) => k !== 'le')
        .sort(),
    )
  for (const s of f.samples) {
    const key = keyOf(s)
    groups.set(key, [...(groups.get(key) ?? []), s])
  }
  for (const [key, samples] of groups) {
    const buckets = samples.filter((s) => s.name === `${f.name}_bucket`)
    const count = samples.find((s) => s.name === `${f.name}_count`)
    if (!samples.some((s) => s.name === `${f.name}_sum`) || !count) throw new Error(`${f.name}${key}: _sum or _count missing`)
    let last = -Infinity
    let lastValue = 0
    for (const b of buckets) {
      if (b.labels.le === undefined) throw new Error(`${f.name}${key}: bucket without le`)
      const le = parseValue(b.labels.le, 0)
      if (!(le > last)) throw new Error(`${f.name}${key}: buckets not in increasing le order`)
      if (b.value < lastValue) throw new Error(`${f.name}${key}: buckets not cumulative`)
      last = le
      lastValue = b.value
    }
    if (last !== Infinity) throw new Error(`${f.name}${key}: no le="+Inf" bucket`)
    if (lastValue !== count.value) throw new Error(`${f.name}${key}: +Inf bucket ${lastValue} != _count ${count.value}`)
  }
}

/** Sum of a family's samples named `sample` whose labels include `match`. */
export function sumOf(families: Map<string, Family>, family: string, match: Record<string, string> = {}, sample = family): number {
  const f = families.get(family)
  if (!f) throw new Error(`no metric family ${family}`)
  return f.samples
    .filter((s) => s.name === sample && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0)
}

/** How many series the families whose names start with `prefix` have. */
export function seriesCount(families: Map<string, Family>, prefix = ''): number {
  let n = 0
  for (const f of families.values()) if (f.name.startsWith(prefix)) n += f.samples.length
  return n
}
