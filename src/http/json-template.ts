/**
 * A JSON text with one string value left open: `render` gets a placeholder and its output is split
 * around the placeholder, so filling it costs a concatenation, not a serialisation. Strings, not
 * Buffers: an answer assembled per request as a Buffer costs an off-heap allocation each time,
 * measurably slower than V8's string concatenation (bench/charmhub). The caller says where its
 * slot is, so that the occurrence found is the one it put there: `last` when nothing after the
 * slot carries arbitrary text (which could hold the placeholder's text), `first` when nothing
 * before it does.
 */
export interface JsonTemplate {
  readonly head: string
  readonly tail: string
  /** UTF-8 bytes of head and tail together. */
  readonly bytes: number
}

const PLACEHOLDER = '\u0000airlock-slot\u0000'
const PLACEHOLDER_JSON = JSON.stringify(PLACEHOLDER)

export function jsonTemplate(render: (placeholder: string) => unknown, slot: 'first' | 'last' = 'last'): JsonTemplate {
  const json = JSON.stringify(render(PLACEHOLDER))
  const at = slot === 'last' ? json.lastIndexOf(PLACEHOLDER_JSON) : json.indexOf(PLACEHOLDER_JSON)
  if (at < 0) throw new Error('jsonTemplate: the rendered value does not hold the placeholder')
  const head = json.slice(0, at)
  const tail = json.slice(at + PLACEHOLDER_JSON.length)
  return { head, tail, bytes: Buffer.byteLength(head) + Buffer.byteLength(tail) }
}

export const fillTemplate = (t: JsonTemplate, value: string): string => t.head + JSON.stringify(value) + t.tail

/**
 * fillTemplate, and the UTF-8 length of what it made, counted without reading the template's text
 * again: a Content-Length for answers sent as strings (measuring the answer showed in a cached
 * Charmhub refresh's profile, decision 0006).
 */
export function fillTemplateCounted(t: JsonTemplate, value: string): { readonly text: string; readonly bytes: number } {
  const json = JSON.stringify(value)
  return { text: t.head + json + t.tail, bytes: t.bytes + Buffer.byteLength(json) }
}
