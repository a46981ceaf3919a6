import { describe, expect, it } from 'vitest'
import { parseStrictJson, StrictJsonError } from './json.js'

describe('strict JSON', () => {
  it('parses what JSON.parse parses when there are no duplicate keys', () => {
    const samples = [
      '{}',
      '[]',
      ' {"a":1,"b":[1,2,{"c":null}],"d":"x\\"y\\u0041","e":-0.5e+3,"f":true,"g":false} ',
      '"just a string"',
      '0',
      '[{"a":1},{"a":2}]',
      '{"a":{"a":{"a":1}}}',
      '{"":1," ":2}',
    ]
    for (const s of samples) expect(parseStrictJson(s)).toEqual(JSON.parse(s))
  })

  it('AUTH-053 duplicate keys are refused at any depth, also when spelled with escapes', () => {
    const dups = [
      '{"a":1,"a":2}',
      '{"a":1,"b":{"c":1,"c":1}}',
      '[{"x":[{"y":1,"y":2}]}]',
      '{"alg":"EdDSA","\\u0061lg":"none"}',
      '{"sub":"a","s\\u0075b":"b"}',
      '{"a\\/b":1,"a/b":2}',
    ]
    for (const s of dups) expect(() => parseStrictJson(s)).toThrow(/duplicate key/)
  })

  it('AUTH-054 __proto__ keys are refused, escaped or not', () => {
    for (const s of ['{"__proto__":{"admin":true}}', '{"a":{"__pr\\u006fto__":1}}']) {
      expect(() => parseStrictJson(s)).toThrow(/refused key/)
    }
  })

  it('AUTH-055 deep nesting is refused without exhausting the stack', () => {
    expect(() => parseStrictJson('['.repeat(100_000) + ']'.repeat(100_000))).toThrow(/deeply/)
    expect(() => parseStrictJson('{"a":'.repeat(33) + '1' + '}'.repeat(33))).toThrow(/deeply/)
    expect(parseStrictJson('{"a":'.repeat(31) + '1' + '}'.repeat(31))).toBeTypeOf('object')
  })

  it('refuses what is not JSON', () => {
    const bad = [
      '',
      '{',
      '{"a":1,}',
      '[1,]',
      "{'a':1}",
      '{"a":01}',
      '{"a":NaN}',
      '{"a":"\u0001"}',
      '{"a":"\\x41"}',
      '{"a":1} x',
      '{a:1}',
      '"\\ud800',
      'tru',
      '1.',
      '.5',
      '+1',
    ]
    for (const s of bad) expect(() => parseStrictJson(s), s).toThrow(StrictJsonError)
  })
})
