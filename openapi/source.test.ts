import { describe, expect, it } from 'vitest'
import { MAX_VALUES, readSource, SourceError } from './source.js'

function refusal(file: string, text: string): SourceError {
  try {
    readSource(file, text)
  } catch (e) {
    if (e instanceof SourceError) return e
    throw e
  }
  throw new Error('expected a refusal')
}

describe('reading YAML and JSON', () => {
  it('reads YAML 1.2: dates and yes/no stay strings, keys keep their text', () => {
    const data = readSource(
      '/x/a.yaml',
      'date: 2024-01-01\nanswer: yes\n200: ok\n1.10: v\nn: 0x10\nlist: [1, two]\n',
    )
    expect(data).toEqual({
      date: '2024-01-01',
      answer: 'yes',
      '200': 'ok',
      '1.10': 'v',
      n: 16,
      list: [1, 'two'],
    })
  })

  it('reads JSON, tab-indented too, as JSON.parse does', () => {
    const text = '{\n\t"a": {\n\t\t"b": [1, 2.5, null, true]\n\t},\n\t"c": "x\\/y\\u00e9"\n}'
    expect(readSource('/x/a.json', text)).toEqual(JSON.parse(text))
  })

  it('OAS-001 refuses a key given twice in one YAML mapping, naming file, line and column', () => {
    const e = refusal('/x/api.yaml', 'paths:\n  /a: {}\n  /b: {}\n  /a: {}\n')
    expect(e).toMatchObject({ file: '/x/api.yaml', line: 4, column: 3 })
    expect(e.message).toMatch(/^\/x\/api\.yaml:4:3: .*unique/)
  })

  it("OAS-002 refuses a key spelled 200 and '200' in one mapping (one key once read)", () => {
    const e = refusal('/x/api.yaml', "responses:\n  200: {}\n  '200': {}\n")
    expect(e.message).toBe('/x/api.yaml:3:3: duplicate key "200"')
  })

  it('OAS-003 refuses a key given twice in a JSON document (JSON.parse keeps the last)', () => {
    const e = refusal('/x/api.json', '{\n  "a": 1,\n  "a": 2\n}')
    expect(e).toMatchObject({ line: 3, column: 3 })
  })

  it('OAS-004 names file, line and column of YAML and JSON it cannot parse', () => {
    expect(refusal('/x/api.yaml', 'a:\n  b: [1, 2\nc: 3\n')).toMatchObject({ line: 3, column: 1 })
    expect(refusal('/x/api.yaml', 'a: b: c\n').message).toMatch(/^\/x\/api\.yaml:1:\d+: /)
    const json = refusal('/x/api.json', '{\n  "a": 1,\n}')
    expect(json).toMatchObject({ line: 3, column: 1 })
    expect(json.message).toMatch(/^\/x\/api\.json:3:1: invalid JSON/)
    expect(refusal('/x/api.yaml', 'a: 1\n---\nb: 2\n').line).toBe(2)
  })

  it('OAS-005 refuses merge keys (<<), which YAML 1.1 and 1.2 readers read differently', () => {
    const e = refusal('/x/api.yaml', 'base: &b { type: string }\nname:\n  <<: *b\n  maxLength: 3\n')
    expect(e).toMatchObject({ line: 3, column: 3 })
    expect(e.message).toMatch(/merge keys/)
  })

  it('OAS-006 refuses tags outside the YAML 1.2 core schema', () => {
    expect(refusal('/x/api.yaml', 'a: !!binary aGk=\n').message).toMatch(/^\/x\/api\.yaml:1:4: /)
    expect(refusal('/x/api.yaml', 'a: !custom 1\n').message).toMatch(/Unresolved tag/)
    expect(refusal('/x/api.yaml', 'a: !!timestamp 2024-01-01\n').line).toBe(1)
    expect(readSource('/x/api.yaml', 'a: !!str 12\n')).toEqual({ a: '12' })
  })

  it('OAS-007 refuses an alias inside its own anchor, and a document that expands without bound', () => {
    expect(refusal('/x/api.yaml', 'a: &x\n  b: *x\n').message).toMatch(/contains it/)
    const laughs = ['a: &a [x, x, x, x, x, x, x, x, x, x]']
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i)
      const name = String.fromCharCode(97 + i)
      laughs.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`)
    }
    const e = refusal('/x/api.yaml', laughs.join('\n') + '\n')
    expect(e.message).toContain(`more than ${MAX_VALUES} values`)
  })

  it('OAS-008 keeps a __proto__ key as data, never as the prototype', () => {
    const data = readSource('/x/api.yaml', '__proto__:\n  polluted: true\n') as Record<
      string,
      unknown
    >
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype)
    expect(Object.hasOwn(data, '__proto__')).toBe(true)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('OAS-009 refuses YAML in a .json file, and numbers JSON cannot hold', () => {
    expect(refusal('/x/api.json', 'openapi: 3.1.0\n').message).toMatch(/invalid JSON/)
    expect(refusal('/x/api.yaml', 'maximum: .inf\n').message).toMatch(/not a JSON number/)
    expect(refusal('/x/api.yaml', '? [a, b]\n: c\n').message).toMatch(/plain scalar/)
  })
})
