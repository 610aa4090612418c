import { describe, expect, it } from 'vitest'
import { fillTemplate, jsonTemplate } from '../../src/http/json-template.js'

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

  it('refuses a render that drops the slot', () => {
    expect(() => jsonTemplate(() => ({ x: 1 }))).toThrow(/placeholder/)
  })
})
