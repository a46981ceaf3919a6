import { describe, expect, it } from 'vitest'
import {
  decodeResponse,
  encodeResponse,
  errorResponse,
  GatewayError,
  subjects,
  type HeaderList,
  type RequestContext,
  type ResponseEnvelope,
} from '../../core/index.js'
import { compileHosts, compileResponseRulesFor } from '../lib/index.js'
import { createResponseValidator, type ResponseVerdict } from './handler.js'
import { demo } from '../testing/demo.js'

const validate = createResponseValidator({
  hosts: compileHosts({ demo }),
  rules: compileResponseRulesFor({ demo }),
})
const NOW = 1_700_000_000_000
const text = (s: string) => new TextEncoder().encode(s)

function context(overrides: Partial<RequestContext> = {}): RequestContext {
  return {
    requestId: 'req0000000001',
    deadline: NOW + 10_000,
    method: 'GET',
    host: 'demo',
    port: 443,
    path: '/orders/1',
    query: '',
    edgeId: 'local',
    replyTo: 'pc.link.inbox.local.abc1',
    operation: 'getOrder',
    ...overrides,
  }
}

const ORDER = '{"id":"1","item":"tea","quantity":2,"createdAt":"2024-01-01T00:00:00.000Z"}'

function response(
  overrides: Partial<ResponseEnvelope> = {},
  headers: HeaderList = [['content-type', 'application/json']],
): ResponseEnvelope {
  return { request: context(), status: 200, headers, body: text(ORDER), ...overrides }
}

function message(env: ResponseEnvelope, subject = subjects.dirtyResponse(env.request.host)) {
  const wire = encodeResponse(env)
  return { subject, headers: wire.headers, data: wire.data }
}

function out(verdict: ResponseVerdict): ResponseEnvelope {
  if (verdict.kind !== 'publish') throw new Error(`expected a publish, got ${verdict.kind}`)
  expect(verdict.subject).toBe(subjects.cleanResponse('response-validator', 'demo'))
  return decodeResponse(verdict.wire.headers, verdict.wire.data)
}

describe('response validator', () => {
  it('passes a declared status with a body that matches its schema', () => {
    const env = out(validate(message(response()), NOW))
    expect(env.status).toBe(200)
    expect(env.error).toBeUndefined()
    expect(new TextDecoder().decode(env.body)).toBe(ORDER)
    expect(env.request.replyTo).toBe('pc.link.inbox.local.abc1')
  })

  it('passes a declared error status with its own schema', () => {
    const env = out(
      validate(message(response({ status: 404, body: text('{"error":"no such order"}') })), NOW),
    )
    expect(env.status).toBe(404)
  })

  it('RESP-001 refuses an undeclared status', () => {
    const env = out(
      validate(message(response({ status: 500, body: text('{"error":"boom"}') })), NOW),
    )
    expect(env).toMatchObject({ status: 502, error: 'RESPONSE_STATUS_NOT_ALLOWED' })
    expect(env.body.length).toBe(0)
  })

  it('RESP-002 refuses a body with an undeclared member: the violating body never goes on and the detail is generic', () => {
    const leak = '{"status":"ok","debug":{"build":"1234"}}'
    const verdict = validate(
      message(
        response({
          request: context({ path: '/debug/leak', operation: 'debugLeak' }),
          body: text(leak),
        }),
      ),
      NOW,
    )
    const env = out(verdict)
    expect(env).toMatchObject({ status: 502, error: 'RESPONSE_SCHEMA_VIOLATION' })
    expect(env.detail).toBeUndefined()
    expect(env.body.length).toBe(0)
    expect(env.headers).toEqual([])
    expect(verdict.kind === 'publish' && verdict.reason).toBe('undeclared member /debug')
  })

  it('RESP-003 refuses malformed JSON, an undeclared media type and an undeclared body', () => {
    expect(out(validate(message(response({ body: text('{"id":') })), NOW)).error).toBe(
      'RESPONSE_SCHEMA_VIOLATION',
    )
    expect(out(validate(message(response({}, [['content-type', 'text/html']])), NOW)).error).toBe(
      'RESPONSE_SCHEMA_VIOLATION',
    )
    expect(out(validate(message(response({}, [])), NOW)).error).toBe('RESPONSE_SCHEMA_VIOLATION')
    expect(out(validate(message(response({ body: new Uint8Array() })), NOW)).error).toBe(
      'RESPONSE_SCHEMA_VIOLATION',
    )
  })

  it('RESP-004 drops banner, internal and hop-by-hop headers and keeps the rest', () => {
    const headers: HeaderList = [
      ['content-type', 'application/json'],
      ['server', 'Apache/2.4.41'],
      ['x-powered-by', 'Express'],
      ['portcullis-actor', 'token'],
      ['connection', 'x-secret'],
      ['x-secret', 'named by connection'],
      ['transfer-encoding', 'chunked'],
      ['content-length', '99'],
      ['cache-control', 'no-store'],
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
    ]
    const env = out(validate(message(response({}, headers)), NOW))
    expect(env.headers).toEqual([
      ['content-type', 'application/json'],
      ['cache-control', 'no-store'],
      ['set-cookie', 'a=1; HttpOnly; Secure; SameSite=Strict'],
      ['set-cookie', 'b=2; HttpOnly; Secure; SameSite=Strict'],
      ['x-content-type-options', 'nosniff'],
    ])
  })

  it('passes the backend connector error answers through, rebuilt without anything else', () => {
    for (const code of [
      'UPSTREAM_UNAVAILABLE',
      'UPSTREAM_TIMEOUT',
      'RESPONSE_TOO_LARGE',
    ] as const) {
      const env = errorResponse(context(), new GatewayError(code, { detail: 'at 10.0.0.7' }))
      env.headers = [['server', 'x']]
      const result = out(validate(message(env), NOW))
      expect(result).toMatchObject({
        error: code,
        status: new GatewayError(code).status,
        headers: [],
      })
      expect(result.detail).toBeUndefined()
    }
  })

  it('refuses an error code a backend connector has no business sending', () => {
    const other = errorResponse(context(), new GatewayError('RATE_LIMITED'))
    expect(out(validate(message(other), NOW)).error).toBe('INTERNAL_ERROR')
  })

  it('BUS-202 refuses a response filed under another host than it names', () => {
    // The backend of `other` answering a request of `demo`: dropped, never answered, so one
    // host's connector cannot reach another host's clients, not even with an error.
    expect(validate(message(response(), subjects.dirtyResponse('other')), NOW)).toMatchObject({
      kind: 'drop',
      requestId: 'req0000000001',
    })
    expect(validate(message(response(), 'pc.dresp.demo.x'), NOW).kind).toBe('drop')
  })

  it('BUS-207 takes the caller host from the subject, never from a caller header', () => {
    const msg = message(response())
    msg.headers.set('Portcullis-Caller', 'backend-other')
    msg.headers.set('Portcullis-Stage', 'request-validator')
    const env = out(validate(msg, NOW))
    expect(env).toMatchObject({ status: 200, request: { host: 'demo', edgeId: 'local' } })
    // The claim travels no further than the validator.
    const verdict = validate(msg, NOW)
    expect(verdict.kind === 'publish' && verdict.wire.headers.has('Portcullis-Caller')).toBe(false)
  })

  it('drops what cannot be answered and what is past its deadline', () => {
    expect(
      validate({ subject: 'pc.dresp.demo', headers: undefined, data: new Uint8Array() }, NOW).kind,
    ).toBe('drop')
    expect(validate(message(response()), NOW + 10_000)).toMatchObject({
      kind: 'drop',
      reason: 'deadline passed',
    })
    const noReply = response()
    delete noReply.request.replyTo
    expect(validate(message(noReply), NOW).kind).toBe('drop')
  })
})
