/**
 * The response contract judges exactly the bytes that go out: one reading of the JSON, no
 * encoded body passed on unread, a 304 only for a conditional GET or HEAD, the client's own
 * text (user data) not taken for a leak, and a refusal after a write said to be one.
 */
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import {
  GatewayError,
  problemFor,
  type ErrorCode,
  type HeaderList,
  type Method,
  type OpenApiDocument,
  type ResponseEnvelope,
} from '../../../core/index.js'
import { compileHosts } from '../schemas.js'
import { CONDITIONAL_STAMP } from './conditional.js'
import { checkResponse, type Checked } from './contract.js'
import { compileResponseRulesFor } from './rules.js'

const JSON_TYPE: HeaderList = [['content-type', 'application/json']]
const ORDER = { $ref: '#/components/schemas/Order' }
const json = (schema: unknown) => ({
  description: 'json',
  content: { 'application/json': { schema } },
})

const doc: OpenApiDocument = {
  openapi: '3.1.0',
  info: { title: 'shop', version: '1' },
  paths: {
    '/orders': {
      get: {
        operationId: 'listOrders',
        responses: {
          '200': json({
            type: 'object',
            additionalProperties: false,
            properties: {
              orders: { type: 'array', items: ORDER },
              source: { type: 'string' },
              big: { type: 'integer' },
            },
          }),
        },
      },
      post: {
        operationId: 'createOrder',
        requestBody: { content: { 'application/json': { schema: ORDER } } },
        responses: { '201': json(ORDER) },
      },
    },
    '/orders/{id}': {
      get: {
        operationId: 'getOrder',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': json(ORDER) },
      },
      head: {
        operationId: 'headOrder',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'exists' } },
      },
    },
    '/orders/{id}/history': {
      get: {
        operationId: 'getHistory',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': json({ type: 'object', properties: { item: { type: 'string' } } }),
          default: json(ORDER),
        },
      },
    },
    '/report': {
      get: {
        operationId: 'getReport',
        responses: { '200': { description: 'text', content: { 'text/plain': {} } } },
      },
    },
  },
  components: {
    schemas: {
      Order: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'item'],
        properties: {
          id: { type: 'string' },
          item: { type: 'string', 'x-portcullis-user-data': true },
          labels: {
            type: 'object',
            'x-portcullis-user-data': true,
            additionalProperties: { type: 'string' },
          },
          tags: { type: 'array', items: { type: 'string', 'x-portcullis-user-data': true } },
          note: { type: 'string' },
        },
      },
    },
  },
}

const contract = {
  hosts: compileHosts({ shop: doc }),
  rules: compileResponseRulesFor({ shop: doc }),
}
const bytes = (s: string) => new TextEncoder().encode(s)

interface Answer {
  method?: Method
  path?: string
  status?: number
  headers?: HeaderList
  body?: string | Uint8Array
}

function check(a: Answer): Checked {
  const env: ResponseEnvelope = {
    request: {
      requestId: 'contract00000001',
      deadline: 1,
      method: a.method ?? 'GET',
      host: 'shop',
      port: 443,
      path: a.path ?? '/orders/1',
      query: '',
    },
    status: a.status ?? 200,
    headers: a.headers ?? JSON_TYPE,
    body: typeof a.body === 'string' ? bytes(a.body) : (a.body ?? new Uint8Array()),
  }
  return checkResponse(env, contract)
}

function refusal(a: Answer): { code: ErrorCode; reason: string; detail?: string } {
  try {
    check(a)
  } catch (e) {
    if (!(e instanceof GatewayError)) throw e
    return { code: e.code, reason: e.reason ?? '', ...(e.detail ? { detail: e.detail } : {}) }
  }
  throw new Error('expected a refusal')
}

const STACK = 'at handler (/srv/app/orders.js:10:5)'

describe('one reading of a JSON body', () => {
  it.each([
    [
      'RESP-203 a duplicate key (JSON.parse keeps the later value, another parser the first)',
      '{"id":"1","note":"x","note":"fine","item":"tea"}',
      'a duplicate key at /note',
    ],
    [
      'RESP-204 a duplicate key spelled with an escape (compared after unescaping)',
      '{"id":"1","item":"tea","note":"a","n\\u006fte":"b"}',
      'a duplicate key at /note',
    ],
    [
      'RESP-205 a byte order mark before the JSON',
      '\ufeff{"id":"1","item":"tea"}',
      'invalid JSON at /',
    ],
    [
      'RESP-206 a lone surrogate escape',
      '{"id":"1","item":"tea","note":"\\ud800x"}',
      'a lone surrogate escape at /note',
    ],
    [
      'RESP-207 an integer beyond 2^53 (the schema would judge the rounded value)',
      '{"orders":[],"big":9007199254740993}',
      'a number beyond 2^53 at /big',
    ],
    [
      'RESP-208 a number beyond a double',
      '{"orders":[],"big":1e400}',
      'a number beyond 2^53 at /big',
    ],
    [
      'RESP-209 text after the JSON value',
      '{"id":"1","item":"tea"} {"debug":"x"}',
      'invalid JSON at /',
    ],
  ])('%s is refused', (_name, body, reason) => {
    const path = body.includes('"big"') ? '/orders' : '/orders/1'
    expect(refusal({ path, body })).toEqual({ code: 'RESPONSE_SCHEMA_VIOLATION', reason })
  })

  it('RESP-222 a stack trace in the earlier of two duplicate keys is refused, not sent with 200', () => {
    // The reader refuses the body; the scan then reads the bytes as they are, and finds it.
    const body = `{"id":"1","note":"${STACK}","note":"fine","item":"tea"}`
    expect(refusal({ body })).toMatchObject({
      code: 'RESPONSE_LEAK',
      reason: /^stack-trace\/\w+ in body$/,
    })
  })

  it('RESP-210 a leak split by invisible characters is judged as the reader sees it', () => {
    const hidden = `{"id":"1","item":"tea","note":"db at 10.0.0\u200b.7\u00ad"}`
    expect(refusal({ body: hidden })).toMatchObject({
      code: 'RESPONSE_LEAK',
      reason: 'internal-address/ipv4 in /note',
    })
    const text = 'served by 192.168\ufeff.1.20'
    expect(
      refusal({ path: '/report', headers: [['content-type', 'text/plain']], body: text }),
    ).toMatchObject({ code: 'RESPONSE_LEAK', reason: 'internal-address/ipv4 in body' })
  })

  it('RESP-211 a leak spelled with JSON escapes is judged decoded', () => {
    const body = '{"id":"1","item":"tea","note":"10.0.0\\u002e7"}'
    expect(refusal({ body })).toMatchObject({
      code: 'RESPONSE_LEAK',
      reason: 'internal-address/ipv4 in /note',
    })
  })

  it('a body that reads one way only passes byte for byte', () => {
    const body = '{ "id": "1", "item": "tea", "note": "v1.0, 10:30, 1e3 cups" }'
    expect(check({ body }).out.body).toEqual(bytes(body))
  })
})

describe('content codings', () => {
  const gz = gzipSync(bytes('{"id":"1","item":"tea"}'))

  it('RESP-212 a gzip-encoded JSON answer is refused, not passed on unread', () => {
    const headers: HeaderList = [...JSON_TYPE, ['content-encoding', 'gzip']]
    expect(refusal({ headers, body: gz })).toEqual({
      code: 'RESPONSE_SCHEMA_VIOLATION',
      reason: 'content-encoding gzip: the upstream was asked for identity',
    })
  })

  it('RESP-213 an encoded body on a text route is refused too, whatever it holds', () => {
    const headers: HeaderList = [
      ['content-type', 'text/plain'],
      ['content-encoding', 'br'],
    ]
    expect(refusal({ path: '/report', headers, body: bytes('plain words') }).code).toBe(
      'RESPONSE_SCHEMA_VIOLATION',
    )
  })

  it('RESP-214 a coding hidden in a list or a second header is refused', () => {
    for (const headers of [
      [...JSON_TYPE, ['content-encoding', 'identity, gzip']],
      [...JSON_TYPE, ['content-encoding', 'identity'], ['content-encoding', 'GZIP']],
      [...JSON_TYPE, ['content-encoding', 'x-custom']],
    ] as HeaderList[]) {
      expect(refusal({ headers, body: '{"id":"1","item":"tea"}' }).code).toBe(
        'RESPONSE_SCHEMA_VIOLATION',
      )
    }
  })

  it('RESP-215 an encoded answer without a body (HEAD) is refused as well', () => {
    const headers: HeaderList = [['content-encoding', 'gzip']]
    expect(refusal({ method: 'HEAD', headers }).code).toBe('RESPONSE_SCHEMA_VIOLATION')
  })

  it('Content-Encoding: identity passes, and the header does not go on', () => {
    const headers: HeaderList = [...JSON_TYPE, ['content-encoding', 'identity']]
    const { out } = check({ headers, body: '{"id":"1","item":"tea"}' })
    expect(out.status).toBe(200)
    expect(out.headers.map(([n]) => n)).not.toContain('content-encoding')
  })
})

describe('304 Not Modified', () => {
  const stamped = (...more: HeaderList): HeaderList => [[CONDITIONAL_STAMP, '1'], ...more]

  it('RESP-216 answers a conditional GET although the document does not declare 304: no body, headers hardened', () => {
    const { out } = check({
      status: 304,
      headers: stamped(['etag', '"v7"'], ['server', 'nginx/1.25'], ['cache-control', 'max-age=60']),
    })
    expect(out.status).toBe(304)
    expect(out.body.length).toBe(0)
    expect(out.headers).toEqual([
      ['etag', '"v7"'],
      ['cache-control', 'max-age=60'],
      ['x-content-type-options', 'nosniff'],
    ])
  })

  it('RESP-217 answers a conditional HEAD', () => {
    const { out } = check({ method: 'HEAD', status: 304, headers: stamped(['etag', '"v7"']) })
    expect(out.status).toBe(304)
  })

  it('RESP-218 a 304 to a request that was not conditional is refused', () => {
    expect(refusal({ status: 304, headers: [['etag', '"v7"']] })).toEqual({
      code: 'RESPONSE_STATUS_NOT_ALLOWED',
      reason: '304 to a GET that was not conditional',
    })
    // Only the connector's exact stamp counts.
    expect(refusal({ status: 304, headers: [[CONDITIONAL_STAMP, 'yes']] }).code).toBe(
      'RESPONSE_STATUS_NOT_ALLOWED',
    )
  })

  it('RESP-219 a 304 with a body is refused', () => {
    expect(refusal({ status: 304, headers: stamped(), body: STACK })).toMatchObject({
      code: 'RESPONSE_LEAK',
    })
    expect(refusal({ status: 304, headers: stamped(), body: 'cached' })).toEqual({
      code: 'RESPONSE_SCHEMA_VIOLATION',
      reason: 'a 304 with a body',
    })
  })

  it('RESP-220 the headers of a 304 are scanned for leaks', () => {
    expect(refusal({ status: 304, headers: stamped(['etag', '"10.0.0.7:/srv"']) })).toEqual({
      code: 'RESPONSE_LEAK',
      reason: 'internal-address/ipv4 in header etag',
    })
  })

  it('RESP-221 a 304 to a non-safe request is refused, and said to follow a write', () => {
    const r = refusal({ method: 'POST', path: '/orders', status: 304, headers: stamped() })
    expect(r.code).toBe('WRITE_OUTCOME_UNKNOWN')
    expect(r.reason).toBe('RESPONSE_STATUS_NOT_ALLOWED: 304 to a POST that was not conditional')
  })
})

describe('stored text (x-portcullis-user-data)', () => {
  const order = (extra: Record<string, unknown>) =>
    JSON.stringify({ id: '1', item: 'tea', ...extra })

  it('STORE-001 a leak-looking text in a user-data member passes, byte for byte', () => {
    const body = order({ item: 'router 10.0.0.1 in /home/ops' })
    const { out } = check({ body })
    expect(out.status).toBe(200)
    expect(out.body).toEqual(bytes(body))
  })

  it('STORE-002 user-data members below a reference in an array of a list are not leaks', () => {
    const body = JSON.stringify({
      orders: [
        { id: '1', item: 'router 10.0.0.1', tags: ['10.0.0.2', 'ok'] },
        { id: '2', item: 'tea', labels: { 'host 10.1.1.1': 'at /srv/x (/srv/a.js:1:2)' } },
      ],
    })
    expect(check({ path: '/orders', body }).out.body).toEqual(bytes(body))
  })

  it('STORE-003 everything outside user data is still scanned in the same answer', () => {
    const body = JSON.stringify({
      orders: [{ id: '1', item: 'router 10.0.0.1', note: 'db 10.0.0.9' }],
    })
    expect(refusal({ path: '/orders', body })).toMatchObject({
      code: 'RESPONSE_LEAK',
      reason: 'internal-address/ipv4 in /orders/0/note',
    })
    const source = JSON.stringify({ orders: [{ id: '1', item: 'x' }], source: STACK })
    expect(refusal({ path: '/orders', body: source }).reason).toMatch(
      /^stack-trace\/\w+ in \/source$/,
    )
    // A member the schema does not declare is no user data, whatever its name looks like.
    const header: HeaderList = [...JSON_TYPE, ['x-debug', 'upstream 10.0.0.9']]
    expect(refusal({ headers: header, body: order({}) }).reason).toBe(
      'internal-address/ipv4 in header x-debug',
    )
  })

  it('STORE-007 marks apply to the status they are declared for: an unmarked 200 is not covered by a marked default', () => {
    const body = JSON.stringify({ id: '1', item: 'router 10.0.0.1' })
    expect(refusal({ path: '/orders/1/history', body }).reason).toBe(
      'internal-address/ipv4 in /item',
    )
    expect(check({ path: '/orders/1/history', status: 500, body }).out.status).toBe(500)
  })

  it('STORE-004 the answer to a write that is refused says the write may have been applied', () => {
    const r = refusal({
      method: 'POST',
      path: '/orders',
      status: 201,
      body: order({ note: STACK }),
    })
    expect(r).toEqual({
      code: 'WRITE_OUTCOME_UNKNOWN',
      reason: expect.stringMatching(/^RESPONSE_LEAK: stack-trace\/\w+ in \/note$/) as string,
      detail: 'the upstream answered and its answer was refused (RESPONSE_LEAK)',
    })
    const problem = problemFor('WRITE_OUTCOME_UNKNOWN', 'contract00000001', r.detail)
    expect(problem).toMatchObject({
      status: 502,
      code: 'WRITE_OUTCOME_UNKNOWN',
      requestId: 'contract00000001',
      upstreamMayHaveCommitted: true,
    })
    expect(JSON.stringify(problem)).not.toContain('/srv/')
    // A GET refused the same way is a plain refusal.
    expect(refusal({ body: order({ note: STACK }) }).code).toBe('RESPONSE_LEAK')
    expect(problemFor('RESPONSE_LEAK', 'x').upstreamMayHaveCommitted).toBeUndefined()
  })

  it('STORE-005 the connector answering RESPONSE_TOO_LARGE to a write is said to follow a write', () => {
    const env: ResponseEnvelope = {
      request: {
        requestId: 'contract00000002',
        deadline: 1,
        method: 'PUT',
        host: 'shop',
        port: 443,
        path: '/orders',
        query: '',
      },
      status: 502,
      headers: [],
      body: new Uint8Array(),
      error: 'RESPONSE_TOO_LARGE',
    }
    expect(checkResponse(env, contract).out.error).toBe('WRITE_OUTCOME_UNKNOWN')
    expect(checkResponse({ ...env, error: 'UPSTREAM_UNAVAILABLE' }, contract).out.error).toBe(
      'UPSTREAM_UNAVAILABLE',
    )
    const read = { ...env, request: { ...env.request, method: 'GET' as const } }
    expect(checkResponse(read, contract).out.error).toBe('RESPONSE_TOO_LARGE')
  })

  it('STORE-006 a user-data mark that is not a boolean stops the start, naming the place', () => {
    const bad = structuredClone(doc)
    ;(bad.components!.schemas as Record<string, Record<string, unknown>>).Order![
      'x-portcullis-user-data'
    ] = 'yes'
    expect(() => compileResponseRulesFor({ shop: bad })).toThrow(
      /openapi shop.*x-portcullis-user-data/,
    )
  })
})
