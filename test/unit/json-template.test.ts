import { describe, expect, it } from 'vitest'
import { fillTemplate, fillTemplateCounted, jsonTemplate } from '../../src/http/json-template.js'

describe('jsonTemplate', () => {
  it('fills the last slot with a JSON-escaped string, byte for byte what JSON.stringify gives', () => {
    const render = (key: string) => ({ text: '"\u0000airlock-slot\u0000" in the text', key, after: 1 })
    const t = jsonTemplate(render)
    for (const v of ['plain', 'quote " backslash \\ nul \u0000', '\u2028 ключ']) expect(fillTemplate(t, v)).toBe(JSON.stringify(render(v)))
  })

  it('fills the first slot when the text after it may hold the placeholder', () => {
    const render = (key: string) => ({ key, text: '"\u0000airlock-slot\u0000" in the text' })
    const t = jsonTemplate(render, 'first')
    for (const v of ['plain', 'quote " nul \u0000']) expect(fillTemplate(t, v)).toBe(JSON.stringify(render(v)))
  })

  it('counts the UTF-8 bytes of what it fills, without measuring the text', () => {
    const render = (key: string) => ({ name: 'café ☕ 𝄞', key, summary: 'x'.repeat(100) })
    const t = jsonTemplate(render)
    for (const v of ['0f1e2d3c-uuid', 'ключ "quoted"', '😀 \u2028 \u0000']) {
      const f = fillTemplateCounted(t, v)
      expect(f.text).toBe(JSON.stringify(render(v)))
      expect(f.bytes).toBe(Buffer.byteLength(f.text))
    }
  })

  it('refuses a render that drops the slot', () => {
    expect(() => jsonTemplate(() => ({ x: 1 }))).toThrow(/placeholder/)
  })
})
