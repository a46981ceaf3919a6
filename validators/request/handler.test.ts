import { describe, expect, it } from 'vitest'
import {
  DEFAULT_REQUEST_VALIDATION,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  subjects,
  type RequestEnvelope,
} from '../../core/index.js'
import { compileRequestHosts } from '../lib/index.js'
import { createRequestValidator, type RequestVerdict } from './handler.js'
import { demo } from '../testing/demo.js'

// Without the routes' required claims: the actor has tests of its own (actor.test.ts).
const compiled = compileRequestHosts({ demo }, DEFAULT_REQUEST_VALIDATION)
const hosts = {
  demo: {
    ...compiled.demo!,
    routes: {
      ...compiled.demo!.routes,
      routes: compiled.demo!.routes.routes.map(({ requiredClaims: _, ...route }) => route),
    },
  },
}
const NOW = 1_700_000_000_000
const text = (s: string) => new TextEncoder().encode(s)

function request(overrides: Partial<RequestEnvelope> = {}): RequestEnvelope {
  return {
    requestId: 'req0000000001',
    deadline: NOW + 10_000,
    method: 'POST',
    host: 'demo',
    port: 443,
    path: '/orders',
    query: '',
    edgeId: 'local',
    replyTo: 'pc.link.inbox.local.abc1',
    headers: [['content-type', 'application/json']],
    body: text('{"item":"tea","quantity":2}'),
    ...overrides,
  }
}

function message(env: RequestEnvelope, subject?: string) {
  const wire = encodeRequest(env)
  return {
    subject: subject ?? subjects.dirtyRequest(env.edgeId!, env.host),
    headers: wire.headers,
    data: wire.data,
  }
}

const lab = createRequestValidator({ deployment: 'LAB', hosts, maxBodyBytes: 1_000_000 })
const prod = createRequestValidator({ deployment: 'PROD', hosts, maxBodyBytes: 1_000_000 })

function rejected(verdict: RequestVerdict) {
  if (verdict.kind !== 'reject') throw new Error(`expected a reject, got ${verdict.kind}`)
  const env = decodeResponse(verdict.wire.headers, verdict.wire.data)
  return { subject: verdict.subject, code: env.error, detail: env.detail, status: env.status, env }
}

describe('request validator', () => {
  it('forwards a valid request to creq with the operation stamped', async () => {
    const verdict = await lab(message(request()), NOW)
    expect(verdict.kind).toBe('forward')
    if (verdict.kind !== 'forward') return
    expect(verdict.subject).toBe(subjects.cleanRequest('demo'))
    const env = decodeRequest(verdict.wire.headers, verdict.wire.data)
    expect(env.operation).toBe('createOrder')
    expect(env.replyTo).toBe('pc.link.inbox.local.abc1')
    expect(new TextDecoder().decode(env.body)).toBe('{"item":"tea","quantity":2}')
    expect(verdict.wire.headers.get('Nats-Msg-Id')).toBe('req0000000001')
  })

  it('forwards a GET without a body', async () => {
    const verdict = await lab(
      message(request({ method: 'GET', path: '/orders/12', headers: [], body: new Uint8Array() })),
      NOW,
    )
    expect(verdict).toMatchObject({ kind: 'forward', operation: 'getOrder' })
  })

  it('BODY-202 rejects a body that breaks the schema with the instance path and nothing more', async () => {
    const r = rejected(
      await lab(message(request({ body: text('{"item":"tea","quantity":5000}') })), NOW),
    )
    expect(r).toMatchObject({
      subject: subjects.cleanResponse('request-validator', 'demo'),
      code: 'BODY_SCHEMA_VIOLATION',
      status: 400,
      detail: '/quantity must be <= 1000',
    })
    expect(r.env.request.replyTo).toBe('pc.link.inbox.local.abc1')
  })

  it('BODY-203 rejects an extra property, a missing field and a wrong type', async () => {
    for (const body of [
      '{"item":"a","quantity":1,"admin":true}',
      '{"item":"a"}',
      '{"item":"a","quantity":"1"}',
    ]) {
      expect(rejected(await lab(message(request({ body: text(body) })), NOW)).code).toBe(
        'BODY_SCHEMA_VIOLATION',
      )
    }
  })

  it('BODY-204 rejects invalid JSON and invalid UTF-8 as malformed', async () => {
    expect(rejected(await lab(message(request({ body: text('{"item":') })), NOW)).code).toBe(
      'BODY_MALFORMED',
    )
    const bad = new Uint8Array([...text('{"item":"'), 0xc3, 0x28, ...text('","quantity":1}')])
    expect(rejected(await lab(message(request({ body: bad })), NOW))).toMatchObject({
      code: 'BODY_MALFORMED',
      detail: 'body is not valid UTF-8',
    })
  })

  it('BODY-205 requires the declared body', async () => {
    expect(rejected(await lab(message(request({ body: new Uint8Array() })), NOW)).code).toBe(
      'BODY_MALFORMED',
    )
  })

  it('MEDIA-201 refuses a body on a route that takes none, and an undeclared media type', async () => {
    const get = request({ method: 'GET', path: '/orders', body: text('{}') })
    expect(rejected(await lab(message(get), NOW)).code).toBe('UNSUPPORTED_MEDIA_TYPE')
    for (const type of ['text/plain', 'application/xml', 'application/json; charset=latin1']) {
      const env = request({ headers: [['content-type', type]] })
      expect(rejected(await lab(message(env), NOW)).code).toBe('UNSUPPORTED_MEDIA_TYPE')
    }
    expect(rejected(await lab(message(request({ headers: [] })), NOW)).code).toBe(
      'UNSUPPORTED_MEDIA_TYPE',
    )
  })

  it('PORT-002 checks the port policy again: internal ports only in LAB, 666 and 888 never', async () => {
    const internal = request({ port: 444 })
    expect(rejected(await prod(message(internal), NOW)).code).toBe('PORT_BLOCKED')
    for (const port of [666, 888, 8080]) {
      expect(rejected(await lab(message(request({ port })), NOW)).code).toBe('PORT_BLOCKED')
    }
  })

  it('ROUTE-201 checks host, route and method again', async () => {
    expect(rejected(await lab(message(request({ host: 'other' })), NOW)).code).toBe(
      'HOST_NOT_FOUND',
    )
    expect(rejected(await lab(message(request({ path: '/admin' })), NOW)).code).toBe(
      'ROUTE_NOT_FOUND',
    )
    const r = rejected(await lab(message(request({ method: 'DELETE' })), NOW))
    expect(r.code).toBe('METHOD_NOT_ALLOWED')
    expect(r.env.headers).toEqual([['allow', 'GET, POST']])
    // A route served on the default ports only does not exist on an internal port.
    expect(rejected(await lab(message(request({ port: 444 })), NOW)).code).toBe('ROUTE_NOT_FOUND')
  })

  it('PATH-001 refuses dot segments, plain or encoded, before an upstream can resolve them', async () => {
    for (const path of ['/orders/..', '/orders/%2e%2E', '/orders/.']) {
      const env = request({ method: 'GET', path, headers: [], body: new Uint8Array() })
      expect(rejected(await lab(message(env), NOW))).toMatchObject({
        code: 'PATH_NOT_CANONICAL',
        status: 400,
      })
    }
  })

  it('BUS-201 refuses an envelope filed under another edge or host than it names', async () => {
    const env = request()
    // Another host: answered to the edge the subject certifies.
    expect(
      rejected(await lab(message(env, subjects.dirtyRequest('local', 'other')), NOW)).code,
    ).toBe('ENVELOPE_INVALID')
    // Another edge: its inbox is not the certified edge's, so nothing is answered at all.
    expect(await lab(message(env, subjects.dirtyRequest('other', 'demo')), NOW)).toMatchObject({
      kind: 'drop',
      requestId: env.requestId,
    })
  })

  it('BUS-206 takes the caller edge from the subject, never from the envelope or a caller header', async () => {
    // The relay certified edge `peer`; the envelope claims `local` and carries local's inbox.
    const claimed = await lab(message(request(), subjects.dirtyRequest('peer', 'demo')), NOW)
    expect(claimed).toMatchObject({ kind: 'drop' })
    expect(claimed.kind === 'drop' && claimed.reason).toContain('subject edge peer')
    // Headers that claim a caller change nothing: the subject's edge and inbox are kept.
    const msg = message(request())
    msg.headers.set('Portcullis-Caller', 'edge-peer')
    msg.headers.set('Portcullis-Edge-Id', 'peer')
    msg.headers.set('Portcullis-Stage', 'relay')
    const verdict = await lab(msg, NOW)
    if (verdict.kind !== 'forward') throw new Error(verdict.kind)
    const env = decodeRequest(verdict.wire.headers, verdict.wire.data)
    expect(env).toMatchObject({ edgeId: 'local', replyTo: 'pc.link.inbox.local.abc1' })
    expect(verdict.wire.headers.has('Portcullis-Caller')).toBe(false)
  })

  it('drops what nobody can be answered for, and what is past its deadline', async () => {
    expect(
      (
        await lab(
          { subject: 'pc.dreq.local.demo', headers: undefined, data: new Uint8Array() },
          NOW,
        )
      ).kind,
    ).toBe('drop')
    const noReply = request()
    delete noReply.replyTo
    expect(await lab(message(noReply), NOW)).toMatchObject({ kind: 'drop' })
    expect(await lab(message(request()), NOW + 10_000)).toMatchObject({
      kind: 'drop',
      reason: 'deadline passed',
    })
  })

  it('enforces the body limit again', async () => {
    const small = createRequestValidator({ deployment: 'LAB', hosts, maxBodyBytes: 10 })
    expect(rejected(await small(message(request()), NOW)).code).toBe('BODY_TOO_LARGE')
  })
})
