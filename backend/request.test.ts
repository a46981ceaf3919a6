import { describe, expect, it } from 'vitest'
import type { RequestEnvelope } from '../core/index.js'
import { toUpstreamRequest } from './request.js'

const NOW = 1_700_000_000_000

function request(overrides: Partial<RequestEnvelope> = {}): RequestEnvelope {
  return {
    requestId: 'req0000000001',
    deadline: NOW + 10_000,
    method: 'POST',
    host: 'demo',
    port: 443,
    path: '/orders/%7Bx%7D/../a',
    query: 'q=1&r=%20',
    edgeId: 'local',
    replyTo: 'pc.link.inbox.local.a',
    headers: [
      ['content-type', 'application/json'],
      ['accept', 'a/b'],
      ['accept', 'c/d'],
      ['connection', 'keep-alive, x-hop'],
      ['x-hop', '1'],
      ['keep-alive', 'timeout=5'],
      ['transfer-encoding', 'chunked'],
      ['authorization', 'Bearer client-token'],
      ['x-request-id', 'forged'],
      ['idempotency-key', 'forged'],
      ['portcullis-actor', 'forged'],
      ['host', 'evil.example'],
      ['content-length', '999'],
    ],
    body: new TextEncoder().encode('{"a":1}'),
    ...overrides,
  }
}

describe('toUpstreamRequest', () => {
  it("TRACE-020 the upstream gets the request's trace with this call as its parent, never a traceparent from the envelope's headers", () => {
    const trace = {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
      flags: '01',
      state: 'rojo=1',
    }
    const forged = request({
      trace,
      headers: [
        ['traceparent', `00-${'f'.repeat(32)}-${'e'.repeat(16)}-01`],
        ['tracestate', 'evil=1'],
      ],
    })
    const req = toUpstreamRequest(
      forged,
      { baseUrl: 'http://u', timeoutMs: 1_000 },
      NOW,
      'a'.repeat(16),
    )
    expect(req.headers.traceparent).toBe(`00-${trace.traceId}-${'a'.repeat(16)}-01`)
    expect(req.headers.tracestate).toBe('rojo=1')
    const untraced = toUpstreamRequest(
      request({ headers: forged.headers }),
      { baseUrl: 'http://u', timeoutMs: 1_000 },
      NOW,
    )
    expect(untraced.headers.traceparent).toBeUndefined()
    expect(untraced.headers.tracestate).toBeUndefined()
  })

  it('sends the path and query exactly as validated, under the base URL path', () => {
    const req = toUpstreamRequest(
      request(),
      { baseUrl: 'http://127.0.0.1:9/api/', timeoutMs: 5_000 },
      NOW,
    )
    expect(req.origin.host).toBe('127.0.0.1:9')
    expect(req.path).toBe('/api/orders/%7Bx%7D/../a?q=1&r=%20')
    expect(req.method).toBe('POST')
  })

  it('BACKEND-001 forwards end-to-end headers only, and sets the id, idempotency key and actor itself', () => {
    const req = toUpstreamRequest(
      request({ actor: 'access.jwt' }),
      { baseUrl: 'http://u', timeoutMs: 5_000 },
      NOW,
    )
    expect(req.headers).toEqual({
      'content-type': 'application/json',
      accept: ['a/b', 'c/d'],
      'accept-encoding': 'identity',
      'x-request-id': 'req0000000001',
      'idempotency-key': 'req0000000001',
      'portcullis-actor': 'access.jwt',
      'content-length': '7',
    })
  })

  it('sends no actor header when the envelope has none', () => {
    const req = toUpstreamRequest(
      request({ method: 'GET', body: new Uint8Array(), headers: [] }),
      { baseUrl: 'http://u', timeoutMs: 5 },
      NOW,
    )
    expect(req.headers).toEqual({
      'accept-encoding': 'identity',
      'x-request-id': 'req0000000001',
      'idempotency-key': 'req0000000001',
    })
  })

  it("RESP-201 asks the upstream for identity: the client's own Accept-Encoding never goes upstream", () => {
    const req = toUpstreamRequest(
      request({ headers: [['accept-encoding', 'br, gzip']] }),
      { baseUrl: 'http://u', timeoutMs: 5 },
      NOW,
    )
    expect(req.headers['accept-encoding']).toBe('identity')
  })

  it('RESP-202 a GET or HEAD with If-None-Match or If-Modified-Since is conditional; nothing else is', () => {
    const sent = (method: RequestEnvelope['method'], headers: RequestEnvelope['headers']) =>
      toUpstreamRequest(
        request({ method, headers, body: new Uint8Array() }),
        { baseUrl: 'http://u', timeoutMs: 5 },
        NOW,
      )
    expect(sent('GET', [['if-none-match', '"v1"']]).conditional).toBe(true)
    expect(sent('HEAD', [['if-modified-since', 'Sun, 06 Dec 2026 10:00:00 GMT']]).conditional).toBe(
      true,
    )
    expect(sent('GET', []).conditional).toBe(false)
    expect(sent('GET', [['if-match', '"v1"']]).conditional).toBe(false)
    expect(sent('POST', [['if-none-match', '*']]).conditional).toBe(false)
    // A conditional header the hop drops (named by Connection) does not count.
    expect(
      sent('GET', [
        ['connection', 'if-none-match'],
        ['if-none-match', '"v1"'],
      ]).conditional,
    ).toBe(false)
  })

  it('never waits past the deadline', () => {
    expect(
      toUpstreamRequest(request(), { baseUrl: 'http://u', timeoutMs: 5_000 }, NOW).timeoutMs,
    ).toBe(5_000)
    expect(
      toUpstreamRequest(request(), { baseUrl: 'http://u', timeoutMs: 50_000 }, NOW).timeoutMs,
    ).toBe(10_000)
  })

  it('refuses a path that would carry a query or fragment', () => {
    expect(() =>
      toUpstreamRequest(
        request({ path: '/orders?admin=1' }),
        { baseUrl: 'http://u', timeoutMs: 5 },
        NOW,
      ),
    ).toThrow()
  })
})
