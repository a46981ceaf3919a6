import { describe, expect, it } from 'vitest'
import {
  GatewayError,
  PROBLEM_CONTENT_TYPE,
  compileRoutes,
  type EdgePolicy,
} from '../../core/index.js'
import {
  bearerToken,
  configuredPolicy,
  openPolicy,
  policyWithAllPorts,
  recordingLink,
  tokenServices,
  type RecordingLink,
} from '../testing/index.js'
import { createIngress } from './index.js'

const EDGE = 'https://edge.test'
// Near the real clock: the token services stamp `iat` from it.
const NOW = Date.now()

function setup(policy: EdgePolicy = openPolicy(), link: RecordingLink = recordingLink()) {
  let ids = 0
  const app = createIngress({
    policy,
    link,
    tokens: tokenServices(),
    now: () => NOW,
    newRequestId: () => `req${String(++ids).padStart(8, '0')}`,
  })
  const send = (path: string, init?: RequestInit) => app.fetch(new Request(EDGE + path, init))
  return { app, link, send, policy }
}

async function problemOf(res: Response) {
  expect(res.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE)
  return (await res.json()) as Record<string, unknown>
}

async function expectProblem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status)
  const body = await problemOf(res)
  expect(body.code).toBe(code)
  expect(body.requestId).toBe(res.headers.get('x-request-id'))
  return body
}

/** A stream that yields `chunk` forever and counts how often it was pulled. */
function endless(chunk: Uint8Array) {
  const counter = { pulls: 0 }
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      counter.pulls++
      controller.enqueue(chunk)
    },
  })
  return { stream, counter }
}

describe('ingress: forwarding', () => {
  it('EDGE-001 a request that passes every check reaches the link once, as an envelope', async () => {
    const { send, link } = setup()
    const res = await send('/demo/orders?limit=5&x=%20y', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: '{"item":"tea","quantity":2}',
    })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('ok')
    expect(link.sent).toHaveLength(1)
    const { request, timeoutMs } = link.sent[0]!
    expect(request).toMatchObject({
      requestId: 'req00000001',
      deadline: NOW + configuredPolicy().limits.deadlineMs,
      method: 'POST',
      host: 'demo',
      port: 443,
      path: '/orders',
      query: 'limit=5&x=%20y',
    })
    expect(request.edgeId).toBeUndefined()
    expect(request.replyTo).toBeUndefined()
    expect(new TextDecoder().decode(request.body)).toBe('{"item":"tea","quantity":2}')
    expect(timeoutMs).toBe(configuredPolicy().limits.deadlineMs)
  })

  it('EDGE-002 every response carries our own X-Request-Id; the client one is ignored', async () => {
    const { send, link } = setup()
    const ok = await send('/demo/orders', { headers: { 'x-request-id': 'client-chosen-id' } })
    expect(ok.status).toBe(200)
    expect(ok.headers.get('x-request-id')).toBe('req00000001')
    expect(link.sent[0]!.request.requestId).toBe('req00000001')
    expect(link.sent[0]!.request.headers.some(([n]) => n === 'x-request-id')).toBe(false)
    for (const path of ['/nope/x', '/demo:666/orders', '/demo/none', '/' + 'a'.repeat(9000)]) {
      const res = await send(path, { headers: { 'x-request-id': 'client-chosen-id' } })
      expect(res.status).toBeGreaterThanOrEqual(400)
      expect(res.headers.get('x-request-id')).toMatch(/^req[0-9]{8}$/)
    }
  })

  it('EDGE-003 errors are problem+json with type, title, status, code and requestId only', async () => {
    const { send } = setup()
    const res = await send('/nope/orders')
    const body = await expectProblem(res, 404, 'HOST_NOT_FOUND')
    expect(Object.keys(body).sort()).toEqual(['code', 'requestId', 'status', 'title', 'type'])
    expect(body).toMatchObject({ status: 404, title: 'No such host', requestId: 'req00000001' })
    expect(body.type).toMatch(/^https:\/\/portcullis\.dev\/problems\/host-not-found$/)
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it('EDGE-004 an unexpected failure is 500 INTERNAL_ERROR without its message or stack', async () => {
    const link = recordingLink(() => {
      throw new Error('secret internal detail at /srv/app.js:12')
    })
    const { send } = setup(openPolicy(), link)
    const res = await send('/demo/orders')
    const text = await res.clone().text()
    await expectProblem(res, 500, 'INTERNAL_ERROR')
    expect(text).not.toMatch(/secret|srv|app\.js|at /)
  })

  it('EDGE-005 an answer with an error code is rendered as that problem, with its detail', async () => {
    const link = recordingLink(() => ({
      status: 400,
      error: 'BODY_SCHEMA_VIOLATION',
      detail: '/quantity must be integer',
      body: new TextEncoder().encode('ignored'),
    }))
    const { send } = setup(openPolicy(), link)
    const res = await send('/demo/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    const body = await expectProblem(res, 400, 'BODY_SCHEMA_VIOLATION')
    expect(body.detail).toBe('/quantity must be integer')
  })

  it('EDGE-006 an answer for another request id is refused (502 ENVELOPE_INVALID)', async () => {
    const link = recordingLink((req) => ({ request: { ...req, requestId: 'someoneelse01' } }))
    const { send } = setup(openPolicy(), link)
    await expectProblem(await send('/demo/orders'), 502, 'ENVELOPE_INVALID')
  })

  it('EDGE-007 HEAD and null-body statuses answer without a body', async () => {
    const link = recordingLink(() => ({ status: 204, body: new TextEncoder().encode('x') }))
    const { send } = setup(openPolicy(), link)
    const res = await send('/demo/orders')
    expect(res.status).toBe(204)
    expect(await res.text()).toBe('')
  })
})

describe('ingress: addressing', () => {
  it('ADDR-001 /<host>/<path> goes to the host on the default port 443', async () => {
    const { send, link } = setup()
    expect((await send('/demo/orders/42')).status).toBe(200)
    expect(link.sent[0]!.request).toMatchObject({
      host: 'demo',
      port: 443,
      path: '/orders/42',
      query: '',
    })
  })

  it('ADDR-002 /<host>:<port>/<path> carries the port', async () => {
    const { send, link } = setup()
    expect((await send('/demo:80/orders')).status).toBe(200)
    expect((await send('/demo:443/orders')).status).toBe(200)
    expect(link.sent.map((s) => s.request.port)).toEqual([80, 443])
  })

  it('ADDR-003 a malformed host segment is 404 HOST_NOT_FOUND and never reaches the link', async () => {
    const { send, link } = setup()
    const malformed = [
      '/',
      '//orders',
      '/Demo/orders',
      '/de_mo/orders',
      '/-demo/orders',
      '/%64emo/orders',
      '/demo:/orders',
      '/demo:abc/orders',
      '/demo:+443/orders',
      '/demo:0x1bb/orders',
      '/demo:443:80/orders',
      '/demo:0/orders',
      '/demo:65536/orders',
      '/demo:999999/orders',
      '/demo@evil:443/orders',
      '/demo.evil/orders',
      '/demo%3A443/orders',
      `/${'a'.repeat(64)}/orders`,
    ]
    for (const path of malformed) {
      const res = await send(path)
      expect({ path, status: res.status }).toEqual({ path, status: 404 })
      expect((await problemOf(res)).code).toBe('HOST_NOT_FOUND')
    }
    expect(link.sent).toHaveLength(0)
  })

  it('ADDR-004 a well-formed host that the policy does not have is 404 HOST_NOT_FOUND', async () => {
    const { send, link } = setup()
    for (const path of [
      '/nope/orders',
      '/constructor/orders',
      '/hasownproperty/x',
      '/demo2/orders',
    ]) {
      await expectProblem(await send(path), 404, 'HOST_NOT_FOUND')
    }
    expect(link.sent).toHaveLength(0)
  })

  it('ADDR-005 the host alone addresses its root path; the query travels raw', async () => {
    const { send, link } = setup()
    await expectProblem(await send('/demo'), 404, 'ROUTE_NOT_FOUND')
    await expectProblem(await send('/demo:80'), 404, 'ROUTE_NOT_FOUND')
    expect((await send('/demo/orders?a=1&a=2&b=%2F')).status).toBe(200)
    expect(link.sent[0]!.request.query).toBe('a=1&a=2&b=%2F')
  })

  it('ADDR-006 dot segments cannot climb out of the host segment', async () => {
    const { send, link } = setup(policyWithAllPorts('PROD'))
    for (const path of [
      '/demo/../wide:888/ping',
      '/demo/%2e%2e/wide:666/ping',
      '/wide/..%2f..%2fwide:888/ping',
    ]) {
      const res = await send(path)
      expect(res.status).toBe(404)
    }
    expect(link.sent).toHaveLength(0)
  })
})

describe('ingress: port firewall', () => {
  const modes = ['LAB', 'PROD'] as const

  it('PORT-101 443 and 80 are open in LAB and PROD', async () => {
    for (const mode of modes) {
      const { send, link } = setup(policyWithAllPorts(mode))
      for (const port of [443, 80]) expect((await send(`/wide:${port}/ping`)).status).toBe(200)
      expect(link.sent.map((s) => s.request.port)).toEqual([443, 80])
    }
  })

  it('PORT-102 the internal ports 444, 417 and 428 are open in LAB only', async () => {
    const lab = setup(policyWithAllPorts('LAB'))
    for (const port of [444, 417, 428])
      expect((await lab.send(`/wide:${port}/ping`)).status).toBe(200)
    expect(lab.link.sent).toHaveLength(3)
    const prod = setup(policyWithAllPorts('PROD'))
    for (const port of [444, 417, 428]) {
      await expectProblem(await prod.send(`/wide:${port}/ping`), 404, 'PORT_BLOCKED')
    }
    expect(prod.link.sent).toHaveLength(0)
  })

  it('PORT-103 888 (control) and 666 (trust root) are refused in LAB and PROD, nothing leaves the edge', async () => {
    for (const mode of modes) {
      const { send, link } = setup(policyWithAllPorts(mode))
      for (const port of [888, 666]) {
        await expectProblem(await send(`/wide:${port}/ping`), 404, 'PORT_BLOCKED')
        await expectProblem(await send(`/demo:${port}/orders`), 404, 'PORT_BLOCKED')
        await expectProblem(await send(`/demo:0${port}/orders`), 404, 'PORT_BLOCKED')
      }
      expect(link.sent).toHaveLength(0)
    }
  })

  it('PORT-104 every unlisted port is refused in LAB and PROD, even when a route declares it', async () => {
    for (const mode of modes) {
      const { send, link } = setup(policyWithAllPorts(mode))
      for (const port of [8443, 22, 1, 8080, 65535, 4443]) {
        await expectProblem(await send(`/wide:${port}/ping`), 404, 'PORT_BLOCKED')
      }
      expect(link.sent).toHaveLength(0)
    }
  })

  it('PORT-105 a refused port is refused before method and route checks', async () => {
    const { send, link } = setup(policyWithAllPorts('PROD'))
    await expectProblem(
      await send('/wide:666/nothing-here', { method: 'DELETE' }),
      404,
      'PORT_BLOCKED',
    )
    await expectProblem(
      await send('/wide:888/ping', {
        method: 'POST',
        body: 'x'.repeat(10),
        headers: { 'content-type': 'text/plain' },
      }),
      404,
      'PORT_BLOCKED',
    )
    expect(link.sent).toHaveLength(0)
  })

  it('PORT-106 an open port the route does not declare is an unknown route', async () => {
    const { send, link } = setup(policyWithAllPorts('LAB'))
    await expectProblem(await send('/demo:444/orders'), 404, 'ROUTE_NOT_FOUND')
    expect(link.sent).toHaveLength(0)
  })
})

describe('ingress: routes and methods', () => {
  it('ROUTE-101 an unknown path is 404 ROUTE_NOT_FOUND', async () => {
    const { send, link } = setup()
    await expectProblem(await send('/demo/admin'), 404, 'ROUTE_NOT_FOUND')
    await expectProblem(await send('/demo/orders/1/2'), 404, 'ROUTE_NOT_FOUND')
    await expectProblem(await send('/demo/orders/'), 404, 'ROUTE_NOT_FOUND')
    expect(link.sent).toHaveLength(0)
  })

  it('ROUTE-102 a method the path does not take is 405 with Allow', async () => {
    const { send, link } = setup()
    const res = await send('/demo/orders', { method: 'DELETE' })
    await expectProblem(res, 405, 'METHOD_NOT_ALLOWED')
    expect(res.headers.get('allow')).toBe('GET, POST')
    const put = await send('/demo/orders/7', {
      method: 'PUT',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    })
    await expectProblem(put, 405, 'METHOD_NOT_ALLOWED')
    expect(put.headers.get('allow')).toBe('GET')
    expect(link.sent).toHaveLength(0)
  })

  it('METHOD-101 TRACE is never carried: 405 with Allow', async () => {
    const { app, link } = setup()
    const res = await app.fetch(new Request(`${EDGE}/demo/orders`, { method: 'TRACE' }))
    await expectProblem(res, 405, 'METHOD_NOT_ALLOWED')
    expect(res.headers.get('allow')).toBe('GET, POST')
    expect(link.sent).toHaveLength(0)
  })

  it('METHOD-102 methods outside the carried set are 405, whatever the path', async () => {
    const { send, link } = setup()
    // CONNECT never reaches a worker: workerd refuses to build such a Request at all.
    expect(() => new Request(`${EDGE}/demo/orders`, { method: 'CONNECT' })).toThrow()
    for (const method of ['PROPFIND', 'patch', 'MKCOL', 'LOCK', 'PURGE']) {
      await expectProblem(await send('/demo/orders', { method }), 405, 'METHOD_NOT_ALLOWED')
    }
    const unknownPath = await send('/demo/nowhere', { method: 'PROPFIND' })
    await expectProblem(unknownPath, 405, 'METHOD_NOT_ALLOWED')
    expect(unknownPath.headers.get('allow')).toBe('')
    expect(link.sent).toHaveLength(0)
  })
})

describe('ingress: media type and body', () => {
  const json = { 'content-type': 'application/json' }

  it('MEDIA-101 a body on a route that takes none is 415', async () => {
    const { send, link } = setup(withNoBodyRoute())
    await expectProblem(
      await send('/nobody/things', { method: 'POST', headers: json, body: '{}' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    )
    await expectProblem(
      await send('/nobody/things', { method: 'POST', body: new Uint8Array([1]) }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    )
    expect(link.sent).toHaveLength(0)
    expect((await send('/nobody/things', { method: 'POST' })).status).toBe(200)
    expect(link.sent).toHaveLength(1)
  })

  it('MEDIA-102 a content type the route does not declare is 415; parameters and case do not matter', async () => {
    const { send, link } = setup()
    for (const type of [
      'text/plain',
      'application/xml',
      'application/json-patch+json',
      'multipart/form-data',
    ]) {
      const res = await send('/demo/orders', {
        method: 'POST',
        headers: { 'content-type': type },
        body: '{}',
      })
      await expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE')
    }
    expect(link.sent).toHaveLength(0)
    for (const type of ['application/json', 'Application/JSON; charset=utf-8']) {
      const res = await send('/demo/orders', {
        method: 'POST',
        headers: { 'content-type': type },
        body: '{}',
      })
      expect(res.status).toBe(200)
    }
    expect(link.sent).toHaveLength(2)
  })

  it('MEDIA-103 a body without a content type is 415', async () => {
    const { send, link } = setup()
    const res = await send('/demo/orders', { method: 'POST', body: new TextEncoder().encode('{}') })
    await expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE')
    expect(link.sent).toHaveLength(0)
  })

  it('BODY-101 a Content-Length over the limit is 413 before a byte is read', async () => {
    const policy = openPolicy()
    const { app, link } = setup(policy)
    const { stream, counter } = endless(new Uint8Array(1024))
    const res = await app.fetch(
      new Request(`${EDGE}/demo/orders`, {
        method: 'POST',
        headers: { ...json, 'content-length': String(policy.limits.maxBodyBytes + 1) },
        body: stream,
      }),
    )
    await expectProblem(res, 413, 'BODY_TOO_LARGE')
    expect(counter.pulls).toBeLessThanOrEqual(1)
    expect(link.sent).toHaveLength(0)
  })

  it('BODY-102 a streamed body without Content-Length is cut off with 413 as soon as it passes the limit', async () => {
    const policy = openPolicy()
    const { app, link } = setup(policy)
    const chunk = new Uint8Array(64 * 1024)
    const { stream, counter } = endless(chunk)
    const req = new Request(`${EDGE}/demo/orders`, { method: 'POST', headers: json, body: stream })
    expect(req.headers.get('content-length')).toBeNull()
    const res = await app.fetch(req)
    await expectProblem(res, 413, 'BODY_TOO_LARGE')
    const limitChunks = Math.ceil((policy.limits.maxBodyBytes + 1) / chunk.byteLength)
    expect(counter.pulls).toBeLessThanOrEqual(limitChunks + 2)
    expect(link.sent).toHaveLength(0)
  })

  it("BODY-103 a route's own limit wins over the policy's; a body at the limit passes intact", async () => {
    const s = setup(withNoBodyRoute())
    const at = await s.send('/nobody/small', { method: 'POST', headers: json, body: '0123456789' })
    expect(at.status).toBe(200)
    expect(new TextDecoder().decode(s.link.sent[0]!.request.body)).toBe('0123456789')
    const over = await s.send('/nobody/small', {
      method: 'POST',
      headers: json,
      body: '0123456789A',
    })
    await expectProblem(over, 413, 'BODY_TOO_LARGE')
    const { stream } = endless(new Uint8Array(4))
    const streamed = await s.app.fetch(
      new Request(`${EDGE}/nobody/small`, { method: 'POST', headers: json, body: stream }),
    )
    await expectProblem(streamed, 413, 'BODY_TOO_LARGE')
    expect(s.link.sent).toHaveLength(1)
  })

  it('BODY-104 a chunked body under the limit arrives whole', async () => {
    const { app, link } = setup()
    const parts = ['{"item":', '"tea",', '"quantity":1}']
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const p of parts) controller.enqueue(new TextEncoder().encode(p))
        controller.close()
      },
    })
    const res = await app.fetch(
      new Request(`${EDGE}/demo/orders`, { method: 'POST', headers: json, body: stream }),
    )
    expect(res.status).toBe(200)
    expect(new TextDecoder().decode(link.sent[0]!.request.body)).toBe(parts.join(''))
  })

  it('URL-101 a request target over the limit is 414 URL_TOO_LONG', async () => {
    const policy = configuredPolicy()
    const { send, link } = setup(policy)
    const base = '/demo/orders?q='
    const fits = base + 'a'.repeat(policy.limits.maxUrlBytes - base.length)
    expect((await send(fits)).status).toBe(200)
    await expectProblem(await send(fits + 'a'), 414, 'URL_TOO_LONG')
    await expectProblem(
      await send('/demo/' + 'b'.repeat(policy.limits.maxUrlBytes)),
      414,
      'URL_TOO_LONG',
    )
    expect(link.sent).toHaveLength(1)
  })
})

describe('ingress: headers', () => {
  it('HDR-101 internal, credential, hop-by-hop and client-address headers never reach the link', async () => {
    const { send, link } = setup()
    const bearer = await bearerToken(['orders'])
    const res = await send('/demo/orders', {
      headers: {
        accept: 'application/json',
        'X-Custom': 'Kept',
        'Portcullis-Actor': 'forged-token',
        'PORTCULLIS-Request-Id': 'forged',
        'portcullis-edge': 'other',
        Authorization: `Bearer ${bearer}`,
        Connection: 'keep-alive, x-hop',
        'X-Hop': 'named by Connection',
        'HTTP2-Settings': 'AAMAAABkAAQAoAAAAAIAAAAA',
        'Keep-Alive': 'timeout=5',
        TE: 'trailers',
        Trailer: 'x-sum',
        Upgrade: 'websocket',
        'Proxy-Authorization': 'Basic Zm9v',
        'Proxy-Connection': 'keep-alive',
        'CF-Connecting-IP': '10.0.0.1',
        'cf-ray': 'abc',
        'X-Forwarded-For': '10.0.0.2',
        'X-Forwarded-Host': 'internal',
        'X-Real-IP': '10.0.0.3',
        'X-Request-Id': 'client-id',
      },
    })
    expect(res.status).toBe(200)
    const names = link.sent[0]!.request.headers.map(([n]) => n)
    expect(names.sort()).toEqual(['accept', 'x-custom'])
    expect(link.sent[0]!.request.headers).toContainEqual(['x-custom', 'Kept'])
    // The actor is the access token minted for the bearer token, never the forged header.
    const actor = link.sent[0]!.request.actor
    expect(actor).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
    expect(actor).not.toBe(bearer)
    expect(actor).not.toBe('forged-token')
  })

  it('HDR-102 internal and hop-by-hop headers are stripped from responses; ours replace the upstream request id', async () => {
    const link = recordingLink(() => ({
      headers: [
        ['content-type', 'application/json'],
        ['set-cookie', 'a=1; Secure'],
        ['set-cookie', 'b=2; Secure'],
        ['portcullis-actor', 'token'],
        ['Portcullis-Operation', 'getOrder'],
        ['connection', 'close'],
        ['keep-alive', 'timeout=5'],
        ['transfer-encoding', 'chunked'],
        ['upgrade', 'h2c'],
        ['proxy-authenticate', 'Basic'],
        ['trailer', 'x'],
        ['te', 'trailers'],
        ['x-request-id', 'upstream-id'],
        ['content-length', '999'],
        ['etag', '"v1"'],
      ],
      body: new TextEncoder().encode('{"a":1}'),
    }))
    const { send } = setup(openPolicy(), link)
    const res = await send('/demo/orders')
    expect(res.status).toBe(200)
    const names = [...res.headers.keys()].sort()
    expect(names).toEqual(['content-type', 'etag', 'set-cookie', 'set-cookie', 'x-request-id'])
    const cookies = [...res.headers].filter(([n]) => n === 'set-cookie').map(([, v]) => v)
    expect(cookies).toEqual(['a=1; Secure', 'b=2; Secure'])
    expect(res.headers.get('x-request-id')).toBe('req00000001')
    expect(await res.text()).toBe('{"a":1}')
  })

  it('HDR-103 a header an envelope cannot carry is 400 BAD_REQUEST at the edge', async () => {
    const { send, link } = setup()
    await expectProblem(
      await send('/demo/orders', { headers: { 'x-big': 'v'.repeat(8193) } }),
      400,
      'BAD_REQUEST',
    )
    const many: Record<string, string> = {}
    for (let i = 0; i < 101; i++) many[`x-h${i}`] = 'v'
    await expectProblem(await send('/demo/orders', { headers: many }), 400, 'BAD_REQUEST')
    expect(link.sent).toHaveLength(0)
  })
})

describe('ingress: link failures', () => {
  it('LINK-101 a link that cannot carry the request answers 503 BUS_UNAVAILABLE', async () => {
    const link = recordingLink(
      () => new GatewayError('BUS_UNAVAILABLE', { reason: 'link: connect failed: 127.0.0.1:4222' }),
    )
    const { send } = setup(openPolicy(), link)
    const res = await send('/demo/orders')
    const text = await res.clone().text()
    await expectProblem(res, 503, 'BUS_UNAVAILABLE')
    expect(text).not.toContain('127.0.0.1')
  })

  it('LINK-102 no answer within the deadline is 504 GATEWAY_TIMEOUT', async () => {
    const link = recordingLink(
      () => new GatewayError('GATEWAY_TIMEOUT', { reason: 'link: timeout' }),
    )
    const { send } = setup(openPolicy(), link)
    await expectProblem(await send('/demo/orders'), 504, 'GATEWAY_TIMEOUT')
  })

  it('LINK-103 the link gets the time left until the deadline', async () => {
    // Every reading of the clock moves it 7 ms on; other middleware (the audit trail's
    // latency) reads it too, so the test pins the relation, not the count of readings.
    const readings: number[] = []
    let t = NOW
    const now = () => {
      readings.push((t += 7))
      return t
    }
    const link = recordingLink()
    const app = createIngress({ policy: configuredPolicy(), link, now })
    expect((await app.fetch(new Request(`${EDGE}/demo/orders`))).status).toBe(200)
    const { request, timeoutMs } = link.sent[0]!
    const { deadlineMs } = configuredPolicy().limits
    expect(readings).toContain(request.deadline - deadlineMs)
    expect(timeoutMs).toBe(deadlineMs - 7)
  })

  it('EDGE-008 createIngress refuses a malformed policy at start', () => {
    expect(() =>
      createIngress({ policy: { version: 2 } as unknown as EdgePolicy, link: recordingLink() }),
    ).toThrow(/edge policy/)
  })
})

/** The configured policy plus a host with a route that takes no body and one with a 10-byte limit. */
function withNoBodyRoute(): EdgePolicy {
  const base = configuredPolicy()
  const nobody = compileRoutes('nobody', {
    openapi: '3.1.0',
    paths: {
      '/things': { post: { operationId: 'poke' } },
      '/small': {
        post: {
          operationId: 'small',
          'x-portcullis-max-body-bytes': 10,
          requestBody: { content: { 'application/json': {} } },
        },
      },
    },
  })
  return { ...base, hosts: { ...base.hosts, nobody } }
}
