// The refresh route's answer cache: one result per action shape (catalog/snap-select.ts
// snapShapeKey, with the public URL base), valid while the catalog's generation lasts
// (http/answer-cache.ts). A result is kept as its JSON bytes with a leading comma, filled with the
// instance-key it was first rendered for, and where that key's value starts and ends: snapd's
// refresh actions use the snap-id as instance-key (docs/protocol/snap-store.md §4.1), so most of
// an answer is copies of kept bytes; an action with another key gets the bytes around it.
import type { HitCounter } from '../catalog/cache-stats.js'
import type { ShapeKey } from '../catalog/snap-select.js'
import { AnswerCache } from '../http/answer-cache.js'
import type { JsonTemplate } from '../http/json-template.js'

/** ~3 KB a result with snap-yaml: room for ~40,000 snap-and-shape pairs. */
const MAX_BYTES = 128 << 20

export interface KeptResult {
  /** `,` + the result's JSON. */
  readonly bytes: Buffer
  readonly instanceKey: string
  /** Byte offsets of the instance-key's JSON string in `bytes`. */
  readonly keyAt: number
  readonly keyEnd: number
}

export function keptResult(t: JsonTemplate, instanceKey: string): KeptResult {
  const head = `,${t.head}`
  const key = JSON.stringify(instanceKey)
  const keyAt = Buffer.byteLength(head)
  const keyEnd = keyAt + Buffer.byteLength(key)
  return { bytes: Buffer.from(head + key + t.tail), instanceKey, keyAt, keyEnd }
}

/** The parts of `r` as the result of an action with `instanceKey`; `first` leaves the comma out. */
export function pushResult(parts: Array<string | Buffer>, r: KeptResult, instanceKey: string, first: boolean): void {
  const from = first ? 1 : 0
  if (instanceKey === r.instanceKey) {
    parts.push(from === 0 ? r.bytes : r.bytes.subarray(1))
    return
  }
  parts.push(r.bytes.subarray(from, r.keyAt), JSON.stringify(instanceKey), r.bytes.subarray(r.keyEnd))
}

export class RefreshAnswers {
  private readonly cache: AnswerCache<KeptResult>

  constructor(catalog: { readonly generation: number }, counts: HitCounter) {
    this.cache = new AnswerCache(catalog, MAX_BYTES, (r) => r.bytes.length + r.instanceKey.length * 2, counts)
  }

  get(k: ShapeKey): KeptResult | undefined {
    return this.cache.get(k.handle, k.rest)
  }
  set(k: ShapeKey, r: KeptResult, generation: number): void {
    this.cache.set(k.handle, k.rest, r, generation)
  }
}
