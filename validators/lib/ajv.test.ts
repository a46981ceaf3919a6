import { describe, expect, it } from 'vitest'
import { createAjv } from './ajv.js'

describe('createAjv', () => {
  it('runs pattern on re2js: a catastrophic pattern takes linear time', () => {
    const validate = createAjv().compile({ type: 'string', pattern: '^(a+)+$' })
    const started = performance.now()
    expect(validate(`${'a'.repeat(50_000)}!`)).toBe(false)
    expect(validate('aaaa')).toBe(true)
    expect(performance.now() - started).toBeLessThan(1_000)
  })

  it('refuses at compile time a pattern RE2 cannot run', () => {
    expect(() => createAjv().compile({ type: 'string', pattern: '^(?=a)a$' })).toThrow()
    expect(() => createAjv().compile({ type: 'string', pattern: '(a)\\1' })).toThrow()
  })
})
