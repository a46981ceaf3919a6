import { describe, expect, it } from 'vitest'
import type { OpenApiDocument } from '../../core/index.js'
import { compileHost, describeViolation, responseContent } from './schemas.js'
import { demo } from '../testing/demo.js'

function doc(overrides: Partial<OpenApiDocument>): OpenApiDocument {
  return { openapi: '3.1.0', info: { title: 't', version: '1' }, paths: {}, ...overrides }
}

function postWith(schema: unknown, components: Record<string, unknown> = {}): OpenApiDocument {
  return doc({
    paths: {
      '/things': {
        post: {
          operationId: 'createThing',
          requestBody: { content: { 'application/json': { schema } } },
          responses: { '201': { description: 'ok' } },
        },
      },
    },
    components: { schemas: components },
  })
}

describe('compileHost', () => {
  const host = compileHost('demo', demo)

  it('compiles the request schema of each operation, following component references', () => {
    const validate = host.operations.get('createOrder')!.request.get('application/json')!
    expect(validate({ item: 'tea', quantity: 2 })).toBe(true)
    expect(validate({ item: 'tea', quantity: 1001 })).toBe(false)
    expect(describeViolation(validate)).toBe('/quantity must be <= 1000')
    expect(validate({ item: 'tea', quantity: 1, extra: true })).toBe(false)
    expect(describeViolation(validate)).toBe('/ must NOT have additional properties')
  })

  it('compiles response schemas per status, and operations without a body have none', () => {
    const op = host.operations.get('getOrder')!
    expect(op.request.size).toBe(0)
    const ok = responseContent(op, 200)!.get('application/json')!
    expect(ok({ id: '1', item: 'a', quantity: 1, createdAt: 'now' })).toBe(true)
    expect(ok({ id: '1', item: 'a', quantity: 1, createdAt: 'now', stack: 'x' })).toBe(false)
    expect(responseContent(op, 404)!.get('application/json')!({ error: 'gone' })).toBe(true)
    expect(responseContent(op, 500)).toBeUndefined()
  })

  it('falls back from the exact status to its range, then to default', () => {
    const d = doc({
      paths: {
        '/a': {
          get: {
            responses: {
              '2XX': { description: 'r', content: { 'text/plain': {} } },
              default: { description: 'd' },
            },
          },
        },
      },
    })
    const op = compileHost('h', d).operations.get('GET:/a')!
    expect([...responseContent(op, 204)!.keys()]).toEqual(['text/plain'])
    expect(responseContent(op, 503)!.size).toBe(0)
  })

  it('drops x-* keys in schema positions but keeps properties named like them', () => {
    const h = compileHost(
      'h',
      postWith({
        type: 'object',
        'x-internal': { anything: true },
        required: ['x-tag'],
        properties: { 'x-tag': { type: 'string', 'x-note': 'n' } },
        additionalProperties: false,
      }),
    )
    const validate = h.operations.get('createThing')!.request.get('application/json')!
    expect(validate({ 'x-tag': 'a' })).toBe(true)
    expect(validate({})).toBe(false)
  })

  it('accepts the OpenAPI annotation keywords in strict mode', () => {
    const h = compileHost(
      'h',
      postWith(
        {
          oneOf: [{ $ref: '#/components/schemas/Cat' }, { $ref: '#/components/schemas/Dog' }],
          discriminator: { propertyName: 'kind' },
          example: { kind: 'cat' },
          externalDocs: { url: 'https://example.com' },
        },
        {
          Cat: {
            type: 'object',
            xml: { name: 'cat' },
            required: ['kind'],
            properties: { kind: { const: 'cat' } },
          },
          Dog: { type: 'object', required: ['kind'], properties: { kind: { const: 'dog' } } },
        },
      ),
    )
    const validate = h.operations.get('createThing')!.request.get('application/json')!
    expect(validate({ kind: 'dog' })).toBe(true)
    expect(validate({ kind: 'cow' })).toBe(false)
  })

  it('translates the OpenAPI 3.0 schema dialect', () => {
    const d = postWith({
      type: 'object',
      required: ['n', 'note'],
      properties: {
        n: { type: 'integer', minimum: 0, exclusiveMinimum: true },
        note: { type: 'string', nullable: true },
      },
    })
    d.openapi = '3.0.3'
    const validate = compileHost('h', d)
      .operations.get('createThing')!
      .request.get('application/json')!
    expect(validate({ n: 1, note: null })).toBe(true)
    expect(validate({ n: 0, note: 'a' })).toBe(false)
  })

  it('knows the OpenAPI formats', () => {
    const validate = compileHost('h', postWith({ type: 'integer', format: 'int32' }))
      .operations.get('createThing')!
      .request.get('application/json')!
    expect(validate(5)).toBe(true)
    expect(validate(2 ** 31)).toBe(false)
  })

  it('resolves request bodies and responses given by reference', () => {
    const d = doc({
      paths: {
        '/r': {
          put: {
            requestBody: { $ref: '#/components/requestBodies/Thing' },
            responses: { '200': { $ref: '#/components/responses/Ok' } },
          },
        },
      },
      components: {
        requestBodies: {
          Thing: { content: { 'application/json': { schema: { type: 'string' } } } },
        },
        responses: {
          Ok: {
            description: 'ok',
            content: { 'application/json': { schema: { type: 'boolean' } } },
          },
        },
      },
    })
    const op = compileHost('h', d).operations.get('PUT:/r')!
    expect(op.request.get('application/json')!('s')).toBe(true)
    expect(responseContent(op, 200)!.get('application/json')!(1)).toBe(false)
  })

  it('refuses to start on references it cannot follow and on loose schemas, naming the operation', () => {
    expect(() => compileHost('h', postWith({ $ref: 'https://example.com/s.json' }))).toThrow(
      /POST \/things/,
    )
    expect(() => compileHost('h', postWith({ type: 'object', requird: ['a'] }))).toThrow(
      /POST \/things.*requird/,
    )
  })

  it('BODY-401 a route schema with dynamic references, which the schema engine resolves unlike the spec, stops the start', () => {
    const list = { type: 'array', items: { $dynamicRef: '#items' } }
    expect(() => compileHost('h', postWith(list))).toThrow(/POST \/things.*\$dynamicRef/)
    const anchored = { $dynamicAnchor: 'items', type: 'string' }
    expect(() => compileHost('h', postWith(anchored))).toThrow(/\$dynamicAnchor/)
  })

  it('BODY-403 a route schema whose unevaluatedProperties the engine would judge wrong (if without then) stops the start', () => {
    const schema = {
      type: 'object',
      if: { properties: { kind: { const: 'a' } }, required: ['kind'] },
      else: { properties: { note: { type: 'string' } }, required: ['note'] },
      unevaluatedProperties: false,
    }
    expect(() => compileHost('h', postWith(schema))).toThrow(/POST \/things.*if without then/)
    expect(() => compileHost('h', postWith({ ...schema, then: true }))).not.toThrow()
  })

  it('BODY-404 a route schema with unevaluatedItems beside contains, also in a component, stops the start', () => {
    const list = { type: 'array', contains: { type: 'string' }, unevaluatedItems: false }
    expect(() => compileHost('h', postWith(list))).toThrow(/unevaluatedItems with contains/)
    const byRef = postWith({ $ref: '#/components/schemas/List' }, { List: list })
    expect(() => compileHost('h', byRef)).toThrow(/components.*unevaluatedItems/)
    const plain = { type: 'array', items: { type: 'string' }, unevaluatedItems: false }
    expect(() => compileHost('h', postWith(plain))).not.toThrow()
  })

  it('BODY-402 an empty object does not meet a required property named constructor or toString through its prototype', () => {
    const schema = {
      type: 'object',
      properties: { constructor: true, toString: true },
      required: ['constructor', 'toString'],
    }
    const validate = compileHost('h', postWith(schema))
      .operations.get('createThing')!
      .request.get('application/json')!
    expect(validate({})).toBe(false)
    expect(validate({ constructor: 1, toString: 2 })).toBe(true)
  })

  it('keeps client-controlled text in a violation printable', () => {
    const h = compileHost(
      'h',
      postWith({ type: 'object', additionalProperties: { type: 'integer' } }),
    )
    const validate = h.operations.get('createThing')!.request.get('application/json')!
    expect(validate({ 'a\r\nInjected: yes': 'x' })).toBe(false)
    const detail = describeViolation(validate)
    expect(detail).not.toMatch(/[\r\n]/)
    expect(detail).toBe('/a??Injected: yes must be integer')
  })
})
