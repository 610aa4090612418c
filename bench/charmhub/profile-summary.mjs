#!/usr/bin/env node
// Summarises a V8 .cpuprofile (node --cpu-prof, or run.mjs --cpu-prof): the functions with the most
// self time, and the most inclusive time (a function counted once per sample however deep it recurs).
//
//   node bench/charmhub/profile-summary.mjs bench/charmhub/out/prof/airlock-main-*.cpuprofile [--top 30] [--last 20] [--but-last 10]
//
// --last N keeps only the final N seconds of samples: run.mjs measures at the end of a server's life,
// after start-up and warm-up, so `--last 20` is its two 10 s measurements (refresh, then info);
// --but-last M drops the final M seconds (`--last 20 --but-last 10`: the refresh measurement alone).
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { parseArgs } from 'node:util'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '30' }, last: { type: 'string' }, 'but-last': { type: 'string', default: '0' } },
})
const TOP = Number(values.top)

for (const file of positionals) {
  const prof = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(prof.nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const label = (n) => {
    const f = n.callFrame
    const url = f.url ? relative(process.cwd(), f.url.replace(/^file:\/\//, '')) : ''
    return `${f.functionName || '(anonymous)'} ${url ? `${url}:${f.lineNumber + 1}` : ''}`.trim()
  }
  const self = new Map()
  const incl = new Map()
  const dt = prof.timeDeltas
  const at = [] // µs since the profile started, per sample
  dt.reduce((t, d, i) => (at[i] = t + d), 0)
  const end = at[at.length - 1]
  const from = values.last ? end - Number(values.last) * 1e6 : -Infinity
  const to = end - Number(values['but-last']) * 1e6
  let total = 0
  prof.samples.forEach((id, i) => {
    if (at[i] < from || at[i] > to) return
    const d = dt[i] ?? 0
    total += d
    const n = byId.get(id)
    self.set(label(n), (self.get(label(n)) ?? 0) + d)
    const seen = new Set()
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur))
      if (!seen.has(l)) {
        seen.add(l)
        incl.set(l, (incl.get(l) ?? 0) + d)
      }
    }
  })
  const pct = (x) => `${((100 * x) / total).toFixed(1).padStart(5)}%`
  const top = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, TOP)
  console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`)
  console.log('\nself time:')
  for (const [l, t] of top(self)) console.log(`  ${pct(t)}  ${l}`)
  console.log('\ninclusive time:')
  for (const [l, t] of top(incl)) console.log(`  ${pct(t)}  ${l}`)
  console.log()
}
