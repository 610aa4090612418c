// The catalog page's only stylesheet, served by Airlock itself (GET /static/airlock.css): no fonts,
// scripts or styles from anywhere else, so the page works on a site with no way out.
export const STYLESHEET = `
:root { --fg: #1d1d1f; --muted: #5a5a60; --line: #d9d9de; --bg: #ffffff; --panel: #f5f5f7; --accent: #0b5cad; --code: #f0f1f4; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 16px/1.5 "DejaVu Sans", system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible { outline: 3px solid #f0a30a; outline-offset: 2px; }
header.top { background: #17324d; color: #fff; }
header.top .wrap { display: flex; flex-wrap: wrap; align-items: center; gap: .75rem 1.5rem; padding-top: .75rem; padding-bottom: .75rem; }
header.top a.brand { color: #fff; font-weight: 700; font-size: 1.25rem; text-decoration: none; }
header.top form { flex: 1 1 18rem; display: flex; gap: .5rem; }
header.top input[type=search] { flex: 1; min-width: 0; padding: .5rem .75rem; border: 1px solid #8aa3bd; border-radius: 6px; font: inherit; }
header.top button { padding: .5rem 1rem; border: 0; border-radius: 6px; background: #f0a30a; color: #1d1d1f; font: inherit; font-weight: 600; cursor: pointer; }
.wrap { max-width: 72rem; margin: 0 auto; padding-left: 1rem; padding-right: 1rem; }
main { padding-top: 1.25rem; padding-bottom: 3rem; }
h1 { font-size: 1.75rem; line-height: 1.25; margin: .25rem 0 .5rem; overflow-wrap: anywhere; }
h2 { font-size: 1.25rem; margin: 2rem 0 .75rem; padding-bottom: .25rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.25rem 0 .5rem; overflow-wrap: anywhere; }
p { margin: .5rem 0; }
.muted { color: var(--muted); }
nav.tabs { display: flex; flex-wrap: wrap; gap: .5rem; margin: 0 0 1rem; }
nav.tabs a { padding: .25rem .75rem; border: 1px solid var(--line); border-radius: 999px; text-decoration: none; color: var(--fg); }
nav.tabs a[aria-current=page] { background: #17324d; border-color: #17324d; color: #fff; }
ul.packages { list-style: none; margin: 0; padding: 0; display: grid; gap: .75rem; }
ul.packages li { border: 1px solid var(--line); border-radius: 8px; padding: .75rem 1rem; background: var(--bg); }
ul.packages .name { font-weight: 700; font-size: 1.1rem; overflow-wrap: anywhere; }
ul.packages .summary { margin: .25rem 0; overflow-wrap: anywhere; }
.meta { display: flex; flex-wrap: wrap; gap: .25rem 1rem; font-size: .9rem; color: var(--muted); }
.badge { display: inline-block; font-size: .75rem; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; padding: .05rem .5rem; border-radius: 4px; background: var(--panel); border: 1px solid var(--line); color: var(--fg); vertical-align: middle; margin-right: .5rem; }
.channels { display: flex; flex-wrap: wrap; gap: .25rem; }
.channels code { font-size: .8rem; }
code, pre { font-family: "DejaVu Sans Mono", ui-monospace, Menlo, Consolas, monospace; background: var(--code); border-radius: 4px; }
code { padding: .05rem .3rem; font-size: .9em; overflow-wrap: anywhere; }
pre { padding: .75rem 1rem; overflow-x: auto; font-size: .875rem; line-height: 1.45; white-space: pre; }
pre code { padding: 0; background: none; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; }
table { border-collapse: collapse; width: 100%; font-size: .925rem; }
th, td { text-align: left; padding: .45rem .75rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); font-weight: 600; white-space: nowrap; }
tr:last-child td { border-bottom: 0; }
td.num { font-variant-numeric: tabular-nums; }
td code { white-space: nowrap; }
.description { white-space: pre-wrap; overflow-wrap: anywhere; max-width: 48rem; }
.pager { display: flex; flex-wrap: wrap; align-items: center; gap: 1rem; margin-top: 1.25rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: .75rem 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
footer { border-top: 1px solid var(--line); padding: 1rem 0 2rem; font-size: .85rem; color: var(--muted); }
@media (max-width: 40rem) {
  h1 { font-size: 1.4rem; }
  th, td { padding: .4rem .5rem; }
  dl.facts { grid-template-columns: 1fr; gap: 0; }
  dl.facts dd { margin-bottom: .5rem; }
}
`
