import { describe, expect, it } from 'vitest'
import { createLogger, isoTime, plainLineWriter } from '../../src/log.js'

const sink = () => {
  const lines: string[] = []
  return {
    lines,
    write: (l: string) => {
      lines.push(l)
    },
  }
}
const sameTime = (l: string) => l.replace(/"time":"[^"]*"/, '"time":"T"')

describe('log lines', () => {
  it("isoTime is pino's isoTime: the member, as toISOString writes it", () => {
    const before = Date.now()
    const t = isoTime()
    const after = Date.now()
    const m = /^,"time":"(.*)"$/.exec(t)
    expect(m).not.toBeNull()
    expect(new Date(m![1]!).toISOString()).toBe(m![1])
    expect(Date.parse(m![1]!)).toBeGreaterThanOrEqual(before)
    expect(Date.parse(m![1]!)).toBeLessThanOrEqual(after)
  })

  it('always writes three digits of milliseconds', async () => {
    for (let i = 0; i < 40; i++) {
      const iso = isoTime().slice(9, -1)
      expect(iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
      expect(new Date(iso).toISOString()).toBe(iso)
      await new Promise((r) => setTimeout(r, 3))
    }
  })

  it("a plain line is byte for byte the logger's own line for the same members", () => {
    const out = sink()
    const logger = createLogger('info', out)
    const fields = { reqId: 'a1"b', method: 'GET', url: '/v2/charms/info/x?fields=a,b\u00e9\u2028', status: 200, ms: 1.5 }
    logger.info(fields, 'request')
    const write = plainLineWriter(logger)!
    write(30, `${JSON.stringify(fields).slice(1, -1)},"msg":"request"`)
    expect(out.lines).toHaveLength(2)
    expect(sameTime(out.lines[1]!)).toBe(sameTime(out.lines[0]!))
    expect(JSON.parse(out.lines[1]!)).toMatchObject({ level: 30, service: 'airlock', ...fields, msg: 'request' })
  })

  it('has no plain writer for a logger it did not make', async () => {
    const pino = (await import('pino')).default
    expect(plainLineWriter(pino({ level: 'silent' }))).toBeUndefined()
  })
})
