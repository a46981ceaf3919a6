import { describe, expect, it } from 'vitest'
import { DEFAULT_REQUEST_VALIDATION, type OpenApiDocument } from '../../../core/index.js'
import { compileHost } from '../schemas.js'
import { checkRequestBody } from './body.js'

const FORM = 'application/x-www-form-urlencoded'

function docWith(media: Record<string, unknown>): OpenApiDocument {
  return {
    openapi: '3.0.3',
    paths: {
      '/records': {
        post: {
          operationId: 'search',
          requestBody: { required: true, content: { [FORM]: media } },
          responses: { '200': { description: 'ok' } },
        },
      },
    },
    components: {
      schemas: {
        Search: {
          type: 'object',
          required: ['criteria'],
          additionalProperties: false,
          properties: {
            criteria: { type: 'string', maxLength: 50 },
            start: { type: 'integer', minimum: 0 },
            exact: { type: 'boolean' },
            tag: { type: 'array', maxItems: 3, items: { type: 'string', pattern: '^[a-z]+$' } },
          },
        },
      },
    },
  }
}

const operation = compileHost(
  't',
  docWith({ schema: { $ref: '#/components/schemas/Search' } }),
).operations.get('search')!

function check(body: string, contentType = FORM) {
  return checkRequestBody(
    [['content-type', contentType]],
    new TextEncoder().encode(body),
    operation,
    true,
    { ...DEFAULT_REQUEST_VALIDATION.json, forbiddenKeys: new Set<string>() },
  )
}

const refusedAs = (code: string) => expect.objectContaining({ code })

describe('form bodies against the schema', () => {
  it('reads each field as its property type: integers, booleans, repeated fields as arrays', () => {
    expect(check('criteria=a%3Ab+c&start=10&exact=true&tag=x&tag=y')).toEqual({
      json: true,
      value: { criteria: 'a:b c', start: 10, exact: true, tag: ['x', 'y'] },
    })
  })

  it.each([
    ['FORM-001 a form without a required field', 'start=0'],
    ['FORM-002 a field of the wrong type', 'criteria=a&start=ten'],
    ['FORM-003 a non-canonical integer spelling', 'criteria=a&start=010'],
    ['FORM-004 a field the schema does not allow', 'criteria=a&admin=true'],
    [
      'FORM-005 a single-valued field sent twice (each parser keeps another copy)',
      'criteria=a&criteria=b',
    ],
    ['FORM-006 a field beyond its schema limits', `criteria=${'a'.repeat(51)}`],
    ['FORM-007 too many items in a repeated field', 'criteria=a&tag=a&tag=b&tag=c&tag=d'],
  ])('%s is BODY_SCHEMA_VIOLATION', (_name, body) => {
    expect(() => check(body)).toThrow(refusedAs('BODY_SCHEMA_VIOLATION'))
  })

  it.each([
    ['FORM-010 an invalid percent-escape', 'criteria=%zz'],
    ['FORM-011 an encoded NUL', 'criteria=a%00b'],
    ['FORM-012 a raw ";" that older parsers split on', 'criteria=a;start=1'],
    ['FORM-013 bytes that are not UTF-8 after decoding', 'criteria=%C0%AE'],
    ['FORM-014 a field with no name', '=a&criteria=b'],
    [
      'FORM-015 more fields than the query limit',
      Array.from(
        { length: DEFAULT_REQUEST_VALIDATION.query.maxParameters + 1 },
        (_, i) => `f${i}=1`,
      ).join('&'),
    ],
    [
      'FORM-018 a field name longer than the query name limit',
      `${'n'.repeat(DEFAULT_REQUEST_VALIDATION.query.maxNameBytes + 1)}=1&criteria=a`,
    ],
  ])('%s is BODY_MALFORMED', (_name, body) => {
    expect(() => check(body)).toThrow(refusedAs('BODY_MALFORMED'))
  })

  it('FORM-016 a form in another charset is refused, not read as UTF-8', () => {
    expect(() => check('criteria=a', `${FORM}; charset=iso-8859-1`)).toThrow(
      refusedAs('UNSUPPORTED_MEDIA_TYPE'),
    )
  })

  it('FORM-019 a composed form schema (oneOf two objects) is read field by field and validated whole', () => {
    const composed = {
      schema: {
        oneOf: [
          {
            type: 'object',
            required: ['kind', 'volume'],
            additionalProperties: false,
            properties: { kind: { const: 'drink' }, volume: { type: 'integer' } },
          },
          {
            type: 'object',
            required: ['kind', 'calories'],
            additionalProperties: false,
            properties: { kind: { const: 'cake' }, calories: { type: 'integer' } },
          },
        ],
      },
    }
    const op = compileHost('t', docWith(composed)).operations.get('search')!
    const rules = { ...DEFAULT_REQUEST_VALIDATION.json, forbiddenKeys: new Set<string>() }
    const run = (body: string) =>
      checkRequestBody([['content-type', FORM]], new TextEncoder().encode(body), op, true, rules)
    expect(run('kind=drink&volume=250')).toEqual({
      json: true,
      value: { kind: 'drink', volume: 250 },
    })
    expect(() => run('kind=drink&calories=250')).toThrow(refusedAs('BODY_SCHEMA_VIOLATION'))
    expect(() => run('kind=cake&calories=lots')).toThrow(refusedAs('BODY_SCHEMA_VIOLATION'))
  })

  it('FORM-020 branches that give one field two shapes make the form unreadable: refused, never passed', () => {
    const clash = {
      schema: {
        anyOf: [
          { type: 'object', properties: { tag: { type: 'string' } } },
          { type: 'object', properties: { tag: { type: 'array', items: { type: 'string' } } } },
        ],
      },
    }
    const op = compileHost('t', docWith(clash)).operations.get('search')!
    const rules = { ...DEFAULT_REQUEST_VALIDATION.json, forbiddenKeys: new Set<string>() }
    expect(() =>
      checkRequestBody(
        [['content-type', FORM]],
        new TextEncoder().encode('tag=a'),
        op,
        true,
        rules,
      ),
    ).toThrow(refusedAs('UNSUPPORTED_MEDIA_TYPE'))
  })

  it('keeps line breaks a textarea sends', () => {
    expect(check('criteria=a%0D%0Ab')).toEqual({ json: true, value: { criteria: 'a\r\nb' } })
  })

  it('FORM-017 a form the validator cannot read exactly (an object field, another encoding) is refused, never passed unchecked', () => {
    const nested = { schema: { type: 'object', properties: { a: { type: 'object' } } } }
    const styled = {
      schema: { type: 'object', properties: { a: { type: 'array', items: { type: 'string' } } } },
      encoding: { a: { style: 'spaceDelimited' } },
    }
    for (const media of [nested, styled]) {
      const op = compileHost('t', docWith(media)).operations.get('search')!
      const body = new TextEncoder().encode('a=1')
      const rules = { ...DEFAULT_REQUEST_VALIDATION.json, forbiddenKeys: new Set<string>() }
      expect(() => checkRequestBody([['content-type', FORM]], body, op, true, rules)).toThrow(
        refusedAs('UNSUPPORTED_MEDIA_TYPE'),
      )
    }
  })
})
