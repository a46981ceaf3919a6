import { describe, expect, it } from 'vitest'
import { DEFAULT_REQUEST_VALIDATION, type OpenApiDocument } from '../../core/index.js'
import { validateWithSpellings } from './integer-spelling.js'
import { checkRequestBody } from './request/body.js'
import { checkJsonText, type JsonRules } from './request/json-limits.js'
import { checkParameter, compileParameter } from './request/parameters.js'
import { createSchemaCompiler } from './schema-compiler.js'
import { describeViolation, type OperationSchemas } from './schemas.js'

const rules: JsonRules = {
  ...DEFAULT_REQUEST_VALIDATION.json,
  forbiddenKeys: new Set(DEFAULT_REQUEST_VALIDATION.json.forbiddenKeys),
}

const doc = {
  openapi: '3.1.0',
  info: { title: 't', version: '1' },
  paths: {},
  components: {
    schemas: {
      Count: { type: 'integer', minimum: -10 },
      Price: { type: 'number' },
    },
  },
} as unknown as OpenApiDocument

const compile = createSchemaCompiler('t', doc)

/** The body's verdict as the request validator reaches it: pre-scan, parse, schema. */
function judge(schema: unknown, text: string): string | undefined {
  const validate = compile(schema, 'test')
  const spelled = checkJsonText(text, rules)
  return validateWithSpellings(validate, JSON.parse(text), spelled)
    ? undefined
    : describeViolation(validate)
}

const SPELLINGS = ['1e2', '1.0', '-0', '1E0', '100e-2', '1.00e+1', '-0.0', '0e0', '5E+0']

describe('type: integer and the spelling of a number', () => {
  it('NUM-001 an integer spelled with a fraction, an exponent or as -0 is refused, naming the pointer', () => {
    const schema = { type: 'object', properties: { n: { type: 'integer' } } }
    for (const n of SPELLINGS) {
      expect(judge(schema, `{"n":${n}}`), n).toBe(
        '/n must be an integer written without a fraction, an exponent or -0',
      )
    }
    expect(judge(schema, '{"n":100}')).toBeUndefined()
    expect(judge(schema, '{"n":-7}')).toBeUndefined()
    expect(judge(schema, '{"n":0}')).toBeUndefined()
    // A fraction that is not integral is ajv's own refusal, as before.
    expect(judge(schema, '{"n":1.5}')).toBe('/n must be integer')
  })

  it('NUM-002 the same spellings are refused at any depth: array items, escaped keys, $ref, the root, a nullable integer', () => {
    const list = { type: 'array', items: { type: 'integer' } }
    expect(judge(list, '[1, 2, 3.0]')).toMatch(/^\/2 must be an integer written/)
    const odd = { type: 'object', properties: { 'a/b~c': { type: 'integer' } } }
    expect(judge(odd, '{"a/b~c": 1e0}')).toMatch(/^\/a~1b~0c must be an integer written/)
    const ref = {
      type: 'object',
      properties: { c: { $ref: '#/components/schemas/Count' } },
    }
    expect(judge(ref, '{"c": -0}')).toMatch(/^\/c must be an integer written/)
    expect(judge({ type: 'integer' }, '2.0')).toMatch(/^\/ must be an integer written/)
    expect(judge({ type: ['integer', 'null'] }, '2e0')).toMatch(/must be an integer written/)
    const oneOf = { oneOf: [{ type: 'integer' }, { type: 'string' }] }
    expect(judge(oneOf, '1.0')).toBeDefined()
  })

  it('NUM-003 type: number, and a schema that also allows number, still take every spelling', () => {
    const schema = {
      type: 'object',
      properties: {
        p: { type: 'number' },
        q: { $ref: '#/components/schemas/Price' },
        r: { anyOf: [{ type: 'integer' }, { type: 'number' }] },
        s: {},
      },
    }
    for (const n of SPELLINGS) {
      expect(judge(schema, `{"p":${n},"q":${n},"r":${n},"s":${n}}`), n).toBeUndefined()
    }
  })

  it('the pre-scan records pointers only when a body has such a number', () => {
    expect(checkJsonText('{"a":[1,2,-3],"b":1.5,"c":"1e2","d":12345678901}', rules)).toBeUndefined()
    expect(checkJsonText('{"a":[1,2.0],"b":{"c":1e2,"d":1.5,"e":-0}}', rules)).toEqual(
      new Set(['/a/1', '/b/c', '/b/e']),
    )
    expect(checkJsonText('-0', rules)).toEqual(new Set(['']))
  })

  it('a validation without pointers leaves no pointers behind for the next one', () => {
    const schema = { type: 'integer' }
    expect(judge(schema, '1.0')).toBeDefined()
    const validate = compile(schema, 'test')
    expect(validate(1)).toBe(true)
  })

  it('NUM-004 query and path integers accept only the canonical spelling; number parameters take the rest', () => {
    const param = (type: string, location: 'query' | 'path') =>
      compileParameter(doc, { name: 'n', in: location, schema: { type } }, compile, 'test')!
    for (const location of ['query', 'path'] as const) {
      const integer = param('integer', location)
      const number = param('number', location)
      for (const raw of ['-0', '1e2', '1.0', '1E0', '+1', '01', '0x10', ' 1']) {
        expect(checkParameter(integer, [raw]).ok, `${location} ${raw}`).toBe(false)
      }
      for (const raw of ['0', '-5', '42']) expect(checkParameter(integer, [raw]).ok).toBe(true)
      for (const raw of ['-0', '1e2', '1.0', '1E0']) {
        expect(checkParameter(number, [raw]).ok, `${location} number ${raw}`).toBe(true)
      }
    }
  })

  it('NUM-010 the request body step refuses 1.0 for an integer by default, and passes it when validation.json.integerSpelling is lenient', () => {
    const validate = compile({ type: 'object', properties: { n: { type: 'integer' } } }, 'test')
    const op = { request: new Map([['application/json', validate]]) } as unknown as OperationSchemas
    const headers: [string, string][] = [['content-type', 'application/json']]
    const body = new TextEncoder().encode('{"n":1.0}')
    expect(DEFAULT_REQUEST_VALIDATION.json.integerSpelling).toBe('strict')
    expect(() => checkRequestBody(headers, body, op, true, rules)).toThrow(
      expect.objectContaining({ code: 'BODY_SCHEMA_VIOLATION' }),
    )
    const lenient: JsonRules = { ...rules, integerSpelling: 'lenient' }
    expect(checkRequestBody(headers, body, op, true, lenient)).toEqual({
      json: true,
      value: { n: 1 },
    })
  })
})
