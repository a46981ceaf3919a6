import { describe, expect, it } from 'vitest'
import { DEFAULT_REQUEST_VALIDATION, type OpenApiDocument } from '../../../core/index.js'
import { isAllowedHeader } from './headers.js'
import { checkParameter } from './parameters.js'
import { compileRequestHost } from './rules.js'

const policy = DEFAULT_REQUEST_VALIDATION

function docWith(
  op: Record<string, unknown>,
  path = '/things',
  extra: Partial<OpenApiDocument> = {},
): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info: { title: 't', version: '1' },
    paths: {
      [path]: { get: { operationId: 'op', responses: { '200': { description: 'ok' } }, ...op } },
    },
    ...extra,
  }
}
const rulesOf = (doc: OpenApiDocument, p = policy) =>
  compileRequestHost('h', doc, p).rules.get('op')!

describe('compileRequestHost', () => {
  it('reads the route extensions', () => {
    const rules = rulesOf(
      docWith({
        'x-portcullis-scan': ['sql', 'path'],
        'x-portcullis-allow-unknown-query': true,
        'x-portcullis-json-limits': { maxDepth: 4, maxObjectKeys: 7 },
      }),
    )
    expect([...rules.scan]).toEqual(['sql', 'path'])
    expect(rules.scanner?.("' or 1=1--")).toBe('sql')
    expect(rules.allowUnknownQuery).toBe(true)
    expect(rules.json).toMatchObject({ maxDepth: 4, maxObjectKeys: 7, maxArrayLength: 10_000 })
  })

  it('stops the start on extensions and parameters it cannot read exactly, naming the route', () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ 'x-portcullis-scan': ['sqli'] }, /GET \/things.*x-portcullis-scan/],
      [{ 'x-portcullis-scan': [] }, /x-portcullis-scan/],
      [{ 'x-portcullis-allow-unknown-query': 'yes' }, /x-portcullis-allow-unknown-query/],
      [{ 'x-portcullis-json-limits': { maxDepth: 0 } }, /maxDepth must be a count/],
      [
        { 'x-portcullis-json-limits': { maxDepth: 100_000 } },
        /maxDepth must be a count from 1 to 1000/,
      ],
      [{ 'x-portcullis-json-limits': { depth: 3 } }, /unknown key depth/],
      [
        { parameters: [{ name: 'f', in: 'query', schema: { type: 'object' } }] },
        /object parameters/,
      ],
      [
        { parameters: [{ name: 'f', in: 'query', style: 'deepObject', schema: {} }] },
        /style deepObject/,
      ],
      [{ parameters: [{ name: 'f', in: 'query', content: {} }] }, /content parameters/],
      [{ parameters: [{ name: 'f', in: 'query' }] }, /needs a schema/],
      [
        { parameters: [{ name: 'f', in: 'query', schema: { type: 'string', pattern: '(?=x)' } }] },
        /query parameter f/,
      ],
    ]
    for (const [op, message] of bad)
      expect(() => rulesOf(docWith(op)), message.source).toThrow(message)
    expect(() => rulesOf(docWith({}, '/things/{id}'))).toThrow(/path parameter id is not declared/)
  })

  it('allows the safe set, the config additions, declared headers, and cookies only when declared', () => {
    const plain = rulesOf(docWith({}), {
      ...policy,
      headers: { ...policy.headers, allow: ['x-tenant', 'x-b3-*'] },
    })
    for (const name of ['accept', 'sec-fetch-site', 'x-tenant', 'x-b3-traceid']) {
      expect(isAllowedHeader(plain.allowedHeaders, name), name).toBe(true)
    }
    expect(isAllowedHeader(plain.allowedHeaders, 'cookie')).toBe(false)
    const declared = rulesOf(
      docWith({
        parameters: [
          { name: 'X-Trace', in: 'header', schema: { type: 'string' } },
          { name: 'session', in: 'cookie', schema: { type: 'string' } },
          { name: 'Authorization', in: 'header', schema: { type: 'string' } },
        ],
      }),
    )
    expect(isAllowedHeader(declared.allowedHeaders, 'x-trace')).toBe(true)
    expect(isAllowedHeader(declared.allowedHeaders, 'cookie')).toBe(true)
    // OpenAPI: an Authorization header parameter is ignored; it never joins the allow-list.
    expect(isAllowedHeader(declared.allowedHeaders, 'authorization')).toBe(false)
  })

  it('merges path-item parameters with the operation, following $ref, and converts by type', () => {
    const doc = docWith(
      {
        parameters: [
          { $ref: '#/components/parameters/Limit' },
          { name: 'on', in: 'query', schema: { type: 'boolean' } },
        ],
      },
      '/things/{id}',
      {
        components: {
          parameters: {
            Limit: { name: 'limit', in: 'query', schema: { $ref: '#/components/schemas/Small' } },
          },
          schemas: { Small: { type: 'integer', maximum: 9 } },
        },
      },
    )
    doc.paths!['/things/{id}']!.parameters = [
      {
        name: 'id',
        in: 'path',
        required: true,
        schema: { type: 'array', items: { type: 'integer' } },
      },
    ]
    const rules = rulesOf(doc)
    expect(checkParameter(rules.query.get('limit')!, ['7'])).toEqual({ ok: true, value: 7 })
    expect(checkParameter(rules.query.get('limit')!, ['10'])).toEqual({
      ok: false,
      detail: 'query parameter limit must be <= 9',
    })
    expect(checkParameter(rules.query.get('on')!, ['true'])).toEqual({ ok: true, value: true })
    expect(checkParameter(rules.query.get('on')!, ['1'])).toMatchObject({ ok: false })
    expect(checkParameter(rules.path.get('id')!, ['1,2,3'])).toEqual({ ok: true, value: [1, 2, 3] })
    expect(checkParameter(rules.path.get('id')!, ['1,x'])).toEqual({
      ok: false,
      detail: 'path parameter id must be an integer',
    })
  })

  it('reads query arrays as repeated names, or comma-separated with explode false', () => {
    const rules = rulesOf(
      docWith({
        parameters: [
          { name: 'a', in: 'query', schema: { type: 'array', items: { type: 'string' } } },
          {
            name: 'b',
            in: 'query',
            explode: false,
            schema: { type: 'array', items: { type: 'number' } },
          },
          { name: 'e', in: 'query', allowEmptyValue: true, schema: { type: 'string' } },
        ],
      }),
    )
    expect(checkParameter(rules.query.get('a')!, ['x', 'y'])).toEqual({
      ok: true,
      value: ['x', 'y'],
    })
    expect(checkParameter(rules.query.get('b')!, ['1.5,2'])).toEqual({ ok: true, value: [1.5, 2] })
    expect(checkParameter(rules.query.get('b')!, ['1', '2'])).toMatchObject({ ok: false })
    expect(checkParameter(rules.query.get('b')!, ['1e999'])).toEqual({
      ok: false,
      detail: 'query parameter b is beyond 2^53',
    })
    expect(checkParameter(rules.query.get('e')!, [''])).toEqual({ ok: true, value: '' })
  })
})
