import { describe, expect, it } from 'vitest'
import { AnswerCache, fillTemplate, jsonTemplate } from '../../src/http/answer-cache.js'
import type { IndexedPackage } from '../../src/catalog/index.js'

const pkg = (id: string) => ({ id }) as unknown as IndexedPackage

describe('AnswerCache', () => {
  it('answers only for the package object the entry was made from', () => {
    const c = new AnswerCache<string>(10)
    const a = pkg('a')
    c.set('k', a, 'v1')
    expect(c.get('k', a)).toBe('v1')
    expect(c.get('k', pkg('a'))).toBeUndefined()
    // A stale entry is dropped, not kept around.
    expect(c.size).toBe(0)
  })

  it('evicts the least recently used entry beyond its bound', () => {
    const c = new AnswerCache<number>(2)
    const p = pkg('p')
    c.set('a', p, 1); c.set('b', p, 2)
    expect(c.get('a', p)).toBe(1)
    c.set('c', p, 3)
    expect([c.get('a', p), c.get('b', p), c.get('c', p)]).toEqual([1, undefined, 3])
  })
})

describe('jsonTemplate', () => {
  it('fills the last slot with a JSON-escaped string, byte for byte what JSON.stringify gives', () => {
    const render = (key: string) => ({ text: '"\u0000airlock-slot\u0000" in the text', key, after: 1 })
    const t = jsonTemplate(render)
    for (const v of ['plain', 'quote " backslash \\ nul \u0000', '\u2028 ключ']) expect(fillTemplate(t, v)).toBe(JSON.stringify(render(v)))
  })

  it('refuses a render that drops the slot', () => {
    expect(() => jsonTemplate(() => ({ x: 1 }))).toThrow(/placeholder/)
  })
})
