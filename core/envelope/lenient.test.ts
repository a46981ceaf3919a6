import { describe, expect, it } from 'vitest'
import {
  decodeRequestLeniently,
  encodeRequest,
  ENVELOPE_HEADERS,
  fallbackContextOf,
  HTTP_HEADER_PREFIX,
  type RequestEnvelope,
} from './index.js'

function request(): RequestEnvelope {
  return {
    requestId: 'a1b2c3d4e5f60718',
    deadline: 1_700_000_000_000,
    method: 'GET',
    host: 'demo',
    port: 443,
    path: '/orders',
    query: '',
    edgeId: 'local',
    replyTo: 'pc.link.inbox.local.ABC.1',
    headers: [['accept', 'application/json']],
    body: new Uint8Array(0),
  }
}

describe('decodeRequestLeniently', () => {
  it('decodes a sound envelope as decodeRequest does, without a fault', () => {
    const wire = encodeRequest(request())
    expect(decodeRequestLeniently(wire.headers, wire.data)).toEqual({ env: request() })
  })

  it('keeps the context of an envelope whose HTTP headers it refuses, and says why', () => {
    const wire = encodeRequest(request())
    wire.headers.append(`${HTTP_HEADER_PREFIX}x-bad`, 'a\u0000b')
    const { env, headerFault } = decodeRequestLeniently(wire.headers, wire.data)
    expect(env).toEqual({ ...request(), headers: [] })
    expect(headerFault?.reason).toMatch(/^ENVELOPE_INVALID: envelope: bad value for header x-bad/)
    expect(headerFault?.detail).not.toMatch(/x-bad/)
  })

  it('throws when the context itself is unreadable', () => {
    const wire = encodeRequest(request())
    wire.headers.set(ENVELOPE_HEADERS.method, 'TRACE')
    wire.headers.append(`${HTTP_HEADER_PREFIX}x-bad`, 'a\u0000b')
    expect(() => decodeRequestLeniently(wire.headers, wire.data)).toThrow(/method/)
    expect(() => decodeRequestLeniently(undefined, wire.data)).toThrow(/no headers/)
  })
})

describe('fallbackContextOf', () => {
  it("keeps a refused request's id and host when they read, placeholders for the rest", () => {
    const wire = encodeRequest(request())
    wire.headers.set(ENVELOPE_HEADERS.version, '9')
    expect(fallbackContextOf(wire.headers, 1000)).toEqual({
      requestId: 'a1b2c3d4e5f60718',
      deadline: 1001,
      method: 'GET',
      host: 'demo',
      port: 443,
      path: '/',
      query: '',
    })
  })

  it('makes up an id and names no host when theirs do not read', () => {
    const wire = encodeRequest(request())
    wire.headers.set(ENVELOPE_HEADERS.requestId, 'short')
    wire.headers.set(ENVELOPE_HEADERS.host, 'demo.>')
    const context = fallbackContextOf(wire.headers, 1000)
    expect(context.requestId).toMatch(/^[0-9a-f]{32}$/)
    expect(context.host).toBe('unknown')
    expect(fallbackContextOf(undefined, 1000).host).toBe('unknown')
  })
})
