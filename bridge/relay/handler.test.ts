import { describe, expect, it } from 'vitest'
import { headers as natsHeaders } from '@nats-io/nats-core'
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  errorResponse,
  GatewayError,
  subjects,
  type RequestEnvelope,
  type ResponseEnvelope,
} from '../../core/index.js'
import { createRelay } from './handler.js'

const NOW = 1_700_000_000_000
const relay = createRelay({ publishTimeoutMs: 2_000 })
const INBOX = 'pc.link.inbox.local.Xy12.3'

function request(overrides: Partial<RequestEnvelope> = {}): RequestEnvelope {
  return {
    requestId: 'req0000000001',
    deadline: NOW + 10_000,
    method: 'GET',
    host: 'demo',
    port: 443,
    path: '/orders',
    query: 'a=1',
    headers: [['accept', 'application/json']],
    body: new Uint8Array(),
    ...overrides,
  }
}

function linkMessage(
  env: RequestEnvelope,
  reply: string | undefined = INBOX,
  subject = subjects.linkRequest('local'),
) {
  const wire = encodeRequest(env)
  return { subject, reply, headers: wire.headers, data: wire.data }
}

describe('relay: link requests', () => {
  it('stamps the edge id from the subject and the reply from the message, and files it on dreq', () => {
    const verdict = relay.linkRequest(linkMessage(request()), NOW)
    expect(verdict.kind).toBe('publish')
    if (verdict.kind !== 'publish') return
    expect(verdict.subject).toBe(subjects.dirtyRequest('local', 'demo'))
    expect(verdict.timeoutMs).toBe(2_000)
    const env = decodeRequest(verdict.wire.headers, verdict.wire.data)
    expect(env).toMatchObject({
      edgeId: 'local',
      replyTo: INBOX,
      requestId: 'req0000000001',
      query: 'a=1',
    })
    expect(verdict.wire.headers.get('Nats-Msg-Id')).toBe('req0000000001')
  })

  it('RELAY-001 ignores what an edge claims about its id, its reply and the operation', () => {
    const claimed = request({
      edgeId: 'other',
      replyTo: 'pc.link.inbox.other.zz',
      operation: 'createOrder',
    })
    const verdict = relay.linkRequest(linkMessage(claimed), NOW)
    if (verdict.kind !== 'publish') throw new Error(verdict.kind)
    expect(verdict.subject).toBe(subjects.dirtyRequest('local', 'demo'))
    const env = decodeRequest(verdict.wire.headers, verdict.wire.data)
    expect(env).toMatchObject({ edgeId: 'local', replyTo: INBOX })
    expect(env.operation).toBeUndefined()
  })

  it("RELAY-002 drops a request whose reply is not the asking edge's inbox", () => {
    for (const reply of [
      undefined,
      'pc.link.inbox.other.abc',
      'pc.link.inbox.local',
      'pc.link.req.local',
      '_INBOX.x',
    ]) {
      expect(relay.linkRequest({ ...linkMessage(request()), reply }, NOW).kind).toBe('drop')
    }
  })

  it('RELAY-003 answers an undecodable request at once with ENVELOPE_INVALID', () => {
    const h = natsHeaders()
    h.set('Portcullis-Request-Id', 'req0000000009')
    const verdict = relay.linkRequest(
      { subject: subjects.linkRequest('local'), reply: INBOX, headers: h, data: new Uint8Array() },
      NOW,
    )
    expect(verdict.kind).toBe('answer')
    if (verdict.kind !== 'answer') return
    expect(verdict.replyTo).toBe(INBOX)
    const env = decodeResponse(verdict.wire.headers, verdict.wire.data)
    expect(env).toMatchObject({ error: 'ENVELOPE_INVALID', status: 502 })
    expect(env.request.requestId).toBe('req0000000009')
  })

  it('drops a request past its deadline and shortens the publish timeout to half the time left', () => {
    expect(relay.linkRequest(linkMessage(request()), NOW + 10_000).kind).toBe('drop')
    const verdict = relay.linkRequest(linkMessage(request({ deadline: NOW + 300 })), NOW)
    expect(verdict.kind === 'publish' && verdict.timeoutMs).toBe(150)
  })

  it('answers BUS_UNAVAILABLE for a request dreq would not take', () => {
    const wire = relay.busUnavailable({ ...request(), edgeId: 'local', replyTo: INBOX }, 'timeout')
    const env = decodeResponse(wire.headers, wire.data)
    expect(env).toMatchObject({ error: 'BUS_UNAVAILABLE', status: 503 })
    expect(env.detail).toBeUndefined()
  })
})

describe('relay: clean responses', () => {
  const ctx = { ...request(), edgeId: 'local', replyTo: INBOX }
  const { headers: _h, body: _b, ...context } = ctx
  const ok: ResponseEnvelope = {
    request: context,
    status: 200,
    headers: [['content-type', 'application/json']],
    body: new TextEncoder().encode('{"orders":[]}'),
  }
  const bus = (
    env: ResponseEnvelope,
    subject = subjects.cleanResponse('response-validator', 'demo'),
  ) => {
    const wire = encodeResponse(env)
    return { subject, headers: wire.headers, data: wire.data }
  }

  it('answers the edge at the reply inbox the request carried', () => {
    const verdict = relay.cleanResponse(bus(ok), NOW)
    expect(verdict).toMatchObject({
      kind: 'answer',
      replyTo: INBOX,
      stage: 'response-validator',
      status: 200,
    })
    if (verdict.kind !== 'answer') return
    const env = decodeResponse(verdict.wire.headers, verdict.wire.data)
    expect(new TextDecoder().decode(env.body)).toBe('{"orders":[]}')
  })

  it('RELAY-004 takes the stage from the subject, never from a header', () => {
    const msg = bus(
      errorResponse(
        context,
        new GatewayError('BODY_SCHEMA_VIOLATION', { detail: '/a must be integer' }),
      ),
      subjects.cleanResponse('request-validator', 'demo'),
    )
    msg.headers.set('Portcullis-Stage', 'response-validator')
    const verdict = relay.cleanResponse(msg, NOW)
    expect(verdict).toMatchObject({
      kind: 'answer',
      stage: 'request-validator',
      code: 'BODY_SCHEMA_VIOLATION',
    })
  })

  it('RELAY-005 refuses a response filed under another host than it names', () => {
    const verdict = relay.cleanResponse(
      bus(ok, subjects.cleanResponse('response-validator', 'other')),
      NOW,
    )
    if (verdict.kind !== 'answer') throw new Error(verdict.kind)
    const env = decodeResponse(verdict.wire.headers, verdict.wire.data)
    expect(env).toMatchObject({ error: 'ENVELOPE_INVALID', status: 502 })
    expect(env.body.length).toBe(0)
  })

  it('drops responses it cannot answer or that are past the deadline', () => {
    expect(
      relay.cleanResponse(
        { subject: 'pc.cresp.x.demo', headers: undefined, data: new Uint8Array() },
        NOW,
      ).kind,
    ).toBe('drop')
    expect(relay.cleanResponse({ ...bus(ok), headers: undefined }, NOW).kind).toBe('drop')
    expect(relay.cleanResponse(bus(ok), NOW + 10_000)).toMatchObject({
      kind: 'drop',
      reason: 'deadline passed',
    })
    const { replyTo: _r, ...noReply } = context
    expect(relay.cleanResponse(bus({ ...ok, request: noReply }), NOW).kind).toBe('drop')
  })
})
