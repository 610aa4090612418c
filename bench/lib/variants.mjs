// `--variant LABEL=ROOT[+NAME=VALUE...]`: a built checkout to measure, with environment variables for
// its servers (NODE_OPTIONS included), as bench/metrics and bench/snapstore take it.

/** { label, root, env } of one --variant value; throws a one-line error naming the value. */
export function parseVariant(v) {
  const m = /^([\w.-]+)=([^+]+)((?:\+\w+=[^+]*)*)$/.exec(v)
  if (!m) throw new Error(`--variant ${v}: expected LABEL=ROOT[+NAME=VALUE...]`)
  const env = Object.fromEntries(
    m[3]
      .split('+')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  )
  return { label: m[1], root: m[2], env }
}
