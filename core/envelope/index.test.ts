import { describe, expect, it } from 'vitest'
import { headers as natsHeaders, MsgHdrsImpl } from '@nats-io/nats-core'
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  errorResponse,
  MSG_ID_HEADER,
  newRequestId,
  type RequestEnvelope,
} from './index.js'
import { GatewayError } from '../errors/index.js'

const body = new TextEncoder().encode('{"item":"tea","quantity":2}')

function request(overrides: Partial<RequestEnvelope> = {}): RequestEnvelope {
  return {
    requestId: 'a1b2c3d4e5f60718',
    deadline: 1_700_000_000_000,
    method: 'POST',
    host: 'demo',
    port: 443,
    path: '/orders',
    query: 'x=1&y=%20',
    headers: [
      ['content-type', 'application/json'],
      ['accept', 'application/json'],
      ['accept', 'text/plain'],
    ],
    body,
    ...overrides,
  }
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (e) {
    return e instanceof GatewayError ? `${e.code}:${e.reason}` : 'not a GatewayError'
  }
  return undefined
}

describe('envelope', () => {
  it('round-trips a request, body as raw payload bytes', () => {
    const wire = encodeRequest(request())
    expect(wire.data).toBe(body)
    expect(wire.headers.get(MSG_ID_HEADER)).toBe('a1b2c3d4e5f60718')
    const back = decodeRequest(wire.headers, wire.data)
    expect(back).toEqual(request())
  })

  it('round-trips a response with an error code', () => {
    const ctx = { ...request(), edgeId: 'local', replyTo: 'pc.link.inbox.local.ABC.1' }
    const wire = encodeResponse(
      errorResponse(
        ctx,
        new GatewayError('BODY_SCHEMA_VIOLATION', { detail: '/quantity must be <= 1000' }),
      ),
    )
    const back = decodeResponse(wire.headers, wire.data)
    expect(back.status).toBe(400)
    expect(back.error).toBe('BODY_SCHEMA_VIOLATION')
    expect(back.detail).toBe('/quantity must be <= 1000')
    expect(back.request.replyTo).toBe('pc.link.inbox.local.ABC.1')
  })

  it('ENV-001 refuses a message without headers or with a foreign version', () => {
    expect(codeOf(() => decodeRequest(undefined, body))).toMatch(/^ENVELOPE_INVALID/)
    const wire = encodeRequest(request())
    wire.headers.set('Portcullis-Envelope', '2')
    expect(codeOf(() => decodeRequest(wire.headers, body))).toMatch(/unsupported version/)
  })

  it('ENV-002 refuses a response read as a request and the reverse', () => {
    const wire = encodeRequest(request())
    expect(codeOf(() => decodeResponse(wire.headers, body))).toMatch(/not a response/)
  })

  it('ENV-003 refuses a duplicated metadata header (no first-or-last ambiguity)', () => {
    const wire = encodeRequest(request())
    wire.headers.append('Portcullis-Host', 'other')
    expect(codeOf(() => decodeRequest(wire.headers, body))).toMatch(/appears 2 times/)
  })

  it('ENV-004 refuses a reply subject outside the edge inbox', () => {
    const wire = encodeRequest({ ...request(), edgeId: 'local' })
    wire.headers.set('Portcullis-Reply', 'pc.link.inbox.other.X.1')
    expect(codeOf(() => decodeRequest(wire.headers, body))).toMatch(/not an inbox/)
    wire.headers.set('Portcullis-Reply', 'pc.creq.demo')
    expect(codeOf(() => decodeRequest(wire.headers, body))).toMatch(/not an inbox/)
  })

  it.each([
    ['Portcullis-Method', 'TRACE', /method/],
    ['Portcullis-Host', 'demo.>', /bad host/],
    ['Portcullis-Path', 'orders', /bad path/],
    ['Portcullis-Path', '/a b', /bad path/],
    ['Portcullis-Port', '70000', /out of range/],
    ['Portcullis-Port', '44a', /not an integer/],
    ['Portcullis-Request-Id', 'short', /request id/],
    ['Portcullis-Deadline', '-1', /not an integer/],
  ])('ENV-005 refuses %s = %s', (key, value, reason) => {
    const wire = encodeRequest(request())
    wire.headers.set(key, value)
    expect(codeOf(() => decodeRequest(wire.headers, body))).toMatch(reason)
  })

  it('ENV-006 refuses a header name that is not a lowercase token', () => {
    const h = encodeRequest(request()).headers
    h.append('H-Bad(Name)', 'x')
    expect(codeOf(() => decodeRequest(h, body))).toMatch(/bad header name/)
  })

  it('ENV-007 refuses an unknown error code in a response', () => {
    const wire = encodeResponse({
      request: request(),
      status: 500,
      headers: [],
      body: new Uint8Array(),
    })
    wire.headers.set('Portcullis-Error', 'NOT_A_CODE')
    expect(codeOf(() => decodeResponse(wire.headers, body))).toMatch(/unknown error code/)
  })

  it('keeps repeated HTTP headers in order and ignores non-envelope NATS headers', () => {
    const h = natsHeaders()
    const wire = encodeRequest(request())
    for (const [k, vs] of wire.headers) for (const v of vs) h.append(k, v)
    h.set('Nats-Expected-Stream', 'DREQ')
    const back = decodeRequest(h, body)
    expect(back.headers.filter(([n]) => n === 'accept').map(([, v]) => v)).toEqual([
      'application/json',
      'text/plain',
    ])
  })

  it('HEADER-107 two lines of one header cross the wire as two lines, so the validator sees the repeat', () => {
    const wire = encodeRequest(
      request({
        headers: [
          ['content-type', 'application/json'],
          ['content-type', 'text/plain'],
          ['content-length', '27'],
          ['content-length', '27'],
        ],
      }),
    )
    const bytes = (wire.headers as MsgHdrsImpl).encode()
    const back = decodeRequest(MsgHdrsImpl.decode(bytes), body)
    expect(back.headers).toEqual([
      ['content-type', 'application/json'],
      ['content-type', 'text/plain'],
      ['content-length', '27'],
      ['content-length', '27'],
    ])
  })

  it('carries the trace, its tracestate and the relay intake time through a round trip', () => {
    const trace = {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
      flags: '01',
      state: 'rojo=1',
    }
    const wire = encodeRequest(request({ trace, receivedAt: 1_700_000_000_123 }))
    const back = decodeRequest(wire.headers, wire.data)
    expect(back.trace).toEqual(trace)
    expect(back.receivedAt).toBe(1_700_000_000_123)
    const answer = encodeResponse(errorResponse(back, new GatewayError('BAD_REQUEST')))
    expect(decodeResponse(answer.headers, answer.data).request.trace).toEqual(trace)
  })

  it.each([
    ['ENV-008 a malformed traceparent', 'Portcullis-Traceparent', '00-xyz'],
    [
      'ENV-009 a traceparent of a later version',
      'Portcullis-Traceparent',
      `01-${'a'.repeat(32)}-${'b'.repeat(16)}-01`,
    ],
    ['ENV-010 a tracestate that is not one', 'Portcullis-Tracestate', 'A=B=C'],
  ])('%s on the bus is an envelope error (only the gateway writes them)', (_, name, value) => {
    const wire = encodeRequest(
      request({ trace: { traceId: 'a'.repeat(32), parentId: 'b'.repeat(16), flags: '01' } }),
    )
    wire.headers.set(name, value)
    expect(codeOf(() => decodeRequest(wire.headers, body))).toMatch(/^ENVELOPE_INVALID.*trace/)
  })

  it('makes distinct 32-character request ids', () => {
    const ids = new Set(Array.from({ length: 1000 }, newRequestId))
    expect(ids.size).toBe(1000)
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/)
  })
})
