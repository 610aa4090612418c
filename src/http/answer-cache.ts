// Rendered JSON answers kept between requests. An answer is a function of an index package object,
// which the catalog replaces whenever the package changes, plus immutable revision texts, the
// request's shape and the public URL base: so an entry is valid exactly while it was made from the
// same package object. Bounded, least recently used first out.
import type { IndexedPackage } from '../catalog/index.js'

export class AnswerCache<V> {
  private readonly entries = new Map<string, { pkg: IndexedPackage; value: V }>()

  constructor(private readonly max = 20_000) {}

  get(key: string, pkg: IndexedPackage): V | undefined {
    const hit = this.entries.get(key)
    if (!hit) return undefined
    this.entries.delete(key)
    if (hit.pkg !== pkg) return undefined
    // Map order is insertion order: re-inserting marks the entry as recently used.
    this.entries.set(key, hit)
    return hit.value
  }

  set(key: string, pkg: IndexedPackage, value: V): void {
    this.entries.delete(key)
    this.entries.set(key, { pkg, value })
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!)
  }

  get size(): number { return this.entries.size }
}

/**
 * A JSON text with one string value left open: `render` gets a placeholder and its output is split
 * around the placeholder's last occurrence, so filling it costs a concatenation, not a
 * serialisation. Strings, not Buffers: an answer assembled per request as a Buffer costs an
 * off-heap allocation each time, measurably slower than V8's string concatenation (bench/charmhub).
 * The caller makes sure that the placeholder's last occurrence is the one it put there (nothing
 * after it in the rendered object may carry arbitrary text).
 */
export interface JsonTemplate { readonly head: string; readonly tail: string }

const PLACEHOLDER = '\u0000airlock-slot\u0000'
const PLACEHOLDER_JSON = JSON.stringify(PLACEHOLDER)

export function jsonTemplate(render: (placeholder: string) => unknown): JsonTemplate {
  const json = JSON.stringify(render(PLACEHOLDER))
  const at = json.lastIndexOf(PLACEHOLDER_JSON)
  if (at < 0) throw new Error('jsonTemplate: the rendered value does not hold the placeholder')
  return { head: json.slice(0, at), tail: json.slice(at + PLACEHOLDER_JSON.length) }
}

export const fillTemplate = (t: JsonTemplate, value: string): string => t.head + JSON.stringify(value) + t.tail
