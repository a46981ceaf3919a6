/**
 * End to end, through the edge only: HTTP to `wrangler dev`, across the link, the buses and
 * the validators to the demo upstream and back, on the stack `npm start` runs. The same
 * suite runs once per topology mode (`request-path-<mode>.test.ts`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jetstreamManager, type StoredMsg } from '@nats-io/jetstream'
import { decodeJwt } from 'jose'
import { connectAs } from '../../bus/index.js'
import { createTokenVerifier, ISSUERS } from '../../core/index.js'
import { mergeConfig, type TopologyMode } from '../../config/index.js'
import { bearerTokenFor } from '../harness/tokens.js'
import {
  openAuditDatabase,
  queryAudit,
  readAuditPublicKey,
  verifyAudit,
  auditKeyPaths,
  type StoredAuditEvent,
} from '../../audit/store/index.js'
import { startTestStack, type TestStack } from './test-stack.js'

let stack: TestStack
/** Headers of a client allowed to order: JSON and a bearer token with `roles.orders`. */
let orderHeaders: Record<string, string>
/** Every bearer token a test sent: none may ever reach the upstream. */
const bearers: string[] = []

/** A bearer token signed with the stack's own dev key, as `portcullis token` prints it. */
async function bearer(roles: string[], sub = 'alice'): Promise<string> {
  const token = await bearerTokenFor(stack.config.paths.keys, roles, sub)
  bearers.push(token)
  return token
}

/** The process that validates requests: a validator, or the backend that validates. */
function validatorOf(mode: TopologyMode): string {
  return mode === 'single-validation' ? 'backend-demo' : 'request-validator'
}

const json = { 'content-type': 'application/json' }

async function problem(res: Response) {
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
  const body = (await res.json()) as {
    code: string
    requestId: string
    status: number
    detail?: string
  }
  expect(body.requestId).toBe(res.headers.get('x-request-id'))
  expect(body.status).toBe(res.status)
  return body
}

async function receivedIds(): Promise<string[]> {
  return (await stack.received()).map((r) => r.requestId ?? '')
}

/**
 * The whole suite on a stack of one topology mode (`nodes: 3`: every bus a cluster).
 * `overrides` adds to the stack's config (other suites sharing the stack); returns the stack.
 */
export function requestPathSuite(
  mode: TopologyMode,
  options: { nodes?: 1 | 3; overrides?: () => unknown } = {},
): () => TestStack {
  beforeAll(async () => {
    stack = await startTestStack(
      mergeConfig(options.overrides?.() ?? {}, {
        topology: mode,
        bus: { nodes: options.nodes ?? 1 },
      }),
    )
    orderHeaders = { ...json, authorization: `Bearer ${await bearer(['orders'])}` }
  })

  afterAll(async () => {
    await stack?.dispose()
  })

  describe('the request path', () => {
    it('E2E-001 GET crosses every stage and comes back with one request id', async () => {
      const res = await fetch(`${stack.url}/demo/orders`)
      expect(res.status).toBe(200)
      const id = res.headers.get('x-request-id')!
      expect(id).toMatch(/^[0-9a-f]{32}$/)
      const body = (await res.json()) as { orders: unknown[] }
      expect(body.orders.length).toBeGreaterThan(0)
      const seen = (await stack.received()).find((r) => r.requestId === id)!
      expect(seen.idempotencyKey).toBe(id)
      expect(seen.method).toBe('GET')
      expect(seen.path).toBe('/orders')
    })

    it("TRACE-030 the client's traceparent reaches the upstream as the same trace, each hop its own parent; none, or one that does not parse, starts a new trace and is never refused", async () => {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
      const upstreamTrace = async (headers: Record<string, string>) => {
        const res = await fetch(`${stack.url}/demo/orders`, { headers })
        expect(res.status).toBe(200)
        await res.arrayBuffer()
        const seen = (await stack.received()).find(
          (r) => r.requestId === res.headers.get('x-request-id'),
        )!
        return { parent: seen.headers.traceparent, state: seen.headers.tracestate }
      }
      const continued = await upstreamTrace({
        traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
        tracestate: 'rojo=00f067aa0ba902b7',
      })
      expect(continued.parent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`))
      expect(continued.parent).not.toContain('00f067aa0ba902b7')
      expect(continued.state).toBe('rojo=00f067aa0ba902b7')
      const fresh = await upstreamTrace({})
      expect(fresh.parent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
      const restarted = await upstreamTrace({
        traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
        tracestate: 'evil=1',
      })
      expect(restarted.parent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
      expect(restarted.parent).not.toContain('0'.repeat(32))
      expect(restarted.state).toBeUndefined()
      // A refused request's log lines name its trace beside its request id.
      const refusedTrace = '5cf92f3577b34da6a3ce929d0e0e4737'
      const refused = await fetch(`${stack.url}/demo/orders?no_such_parameter=1`, {
        headers: { traceparent: `00-${refusedTrace}-00f067aa0ba902b7-01` },
      })
      expect(refused.status).toBe(400)
      const id = refused.headers.get('x-request-id')!
      await expect
        .poll(() => stack.logs.filter((l) => l.includes(id)).join('\n'), { timeout: 5_000 })
        .toContain(`traceId=${refusedTrace}`)
    })

    it('E2E-002 POST a valid order: 201 with the created order', async () => {
      const res = await fetch(`${stack.url}/demo/orders`, {
        method: 'POST',
        headers: orderHeaders,
        body: JSON.stringify({ item: "Earl Grey 'special'", quantity: 3 }),
      })
      expect(res.status).toBe(201)
      const order = (await res.json()) as { id: string; item: string; quantity: number }
      expect(order).toMatchObject({ item: "Earl Grey 'special'", quantity: 3 })
      const seen = (await stack.received()).find(
        (r) => r.requestId === res.headers.get('x-request-id'),
      )!
      expect(JSON.parse(seen.body)).toEqual({ item: "Earl Grey 'special'", quantity: 3 })
    })

    it('E2E-003 GET an order by id, and 404 from the upstream for an unknown id', async () => {
      const list = (await (await fetch(`${stack.url}/demo/orders`)).json()) as {
        orders: Array<{ id: string }>
      }
      const one = await fetch(`${stack.url}/demo/orders/${list.orders[0]!.id}`)
      expect(one.status).toBe(200)
      const missing = await fetch(`${stack.url}/demo/orders/999999`)
      expect(missing.status).toBe(404)
    })

    it.each([
      ['BODY-301 a quantity below the minimum', { item: 'tea', quantity: 0 }],
      [
        'BODY-302 a property the schema does not declare',
        { item: 'tea', quantity: 1, admin: true },
      ],
      ['BODY-303 a missing required field', { quantity: 1 }],
      ['BODY-304 a string where an integer belongs', { item: 'tea', quantity: '1' }],
      ['BODY-305 an item longer than 100 characters', { item: 'x'.repeat(101), quantity: 1 }],
    ])('%s is refused with 400 and never reaches the upstream', async (_name, payload) => {
      const res = await fetch(`${stack.url}/demo/orders`, {
        method: 'POST',
        headers: orderHeaders,
        body: JSON.stringify(payload),
      })
      expect(res.status).toBe(400)
      const body = await problem(res)
      expect(body.code).toBe('BODY_SCHEMA_VIOLATION')
      expect(await receivedIds()).not.toContain(body.requestId)
    })

    it('BODY-306 a body that is not JSON is refused with BODY_MALFORMED', async () => {
      const res = await fetch(`${stack.url}/demo/orders`, {
        method: 'POST',
        headers: orderHeaders,
        body: '{"item":',
      })
      expect(res.status).toBe(400)
      const body = await problem(res)
      expect(body.code).toBe('BODY_MALFORMED')
      expect(await receivedIds()).not.toContain(body.requestId)
    })

    it('RESP-101 a leaking response becomes 502; the client never sees the stack trace', async () => {
      const res = await fetch(`${stack.url}/demo/debug/leak`)
      expect(res.status).toBe(502)
      const text = await res.clone().text()
      expect(text).not.toMatch(/at .*\.js:\d+|Error:|stack|\/srv\//)
      expect(res.headers.get('server')).toBeNull()
      expect(res.headers.get('x-powered-by')).toBeNull()
      expect((await problem(res)).code).toBe('RESPONSE_LEAK')
    })

    it('HDR-201 the client Authorization and Portcullis-* headers never reach the upstream', async () => {
      const token = await bearer(['reader'])
      const res = await fetch(`${stack.url}/demo/orders`, {
        headers: {
          authorization: `Bearer ${token}`,
          'portcullis-actor': 'forged',
          'x-custom': 'kept',
        },
      })
      expect(res.status).toBe(200)
      const seen = (await stack.received()).find(
        (r) => r.requestId === res.headers.get('x-request-id'),
      )!
      expect(seen.headers['authorization']).toBeUndefined()
      // The actor is the access token the ingress minted, never the client's forged header.
      expect(seen.headers['portcullis-actor']).not.toBe('forged')
      expect(JSON.stringify(seen)).not.toContain(token)
      expect(seen.headers['x-custom']).toBe('kept')
      expect(seen.headers['x-request-id']).toBe(res.headers.get('x-request-id'))
    })

    it('PORT-201 ports 666 and 888 are refused at the edge and nothing reaches the upstream', async () => {
      const before = (await stack.received()).length
      for (const port of [666, 888]) {
        const res = await fetch(`${stack.url}/demo:${port}/orders`)
        expect(res.status).toBe(404)
        expect((await problem(res)).code).toBe('PORT_BLOCKED')
      }
      expect((await stack.received()).length).toBe(before)
    })

    it('METHOD-201 a wrong method is 405 with Allow, before anything leaves the edge', async () => {
      const res = await fetch(`${stack.url}/demo/orders`, { method: 'DELETE' })
      expect(res.status).toBe(405)
      expect(res.headers.get('allow')).toBe('GET, POST')
      expect((await problem(res)).code).toBe('METHOD_NOT_ALLOWED')
    })
  })

  describe('failures on the way', () => {
    it('UP-001 the upstream stopped: 502 UPSTREAM_UNAVAILABLE, then recovery', async () => {
      await stack.stopComponent('demo')
      try {
        const res = await fetch(`${stack.url}/demo/orders`)
        expect(res.status).toBe(502)
        expect((await problem(res)).code).toBe('UPSTREAM_UNAVAILABLE')
      } finally {
        await stack.startComponent('demo')
      }
      expect((await fetch(`${stack.url}/demo/orders`)).status).toBe(200)
    })

    it('UP-002 a slow upstream: 504 UPSTREAM_TIMEOUT within the deadline', async () => {
      await stack.demoControl({ delayMs: 4000 })
      try {
        const started = Date.now()
        const res = await fetch(`${stack.url}/demo/orders`)
        expect(res.status).toBe(504)
        expect((await problem(res)).code).toBe('UPSTREAM_TIMEOUT')
        expect(Date.now() - started).toBeLessThan(4000)
      } finally {
        await stack.demoControl({ delayMs: 0 })
      }
    })

    it('BUS-101 the request validator crashes mid-run and restarts: every request completes once', async () => {
      const post = (n: number) =>
        fetch(`${stack.url}/demo/orders`, {
          method: 'POST',
          headers: orderHeaders,
          body: JSON.stringify({ item: `crash-${n}`, quantity: 1 }),
        })
      const first = Array.from({ length: 10 }, (_, n) => post(n))
      // Kill it while it is working: once the first of these has reached the upstream.
      for (let i = 0; i < 200; i++) {
        if ((await stack.received()).some((r) => r.body.includes('"crash-'))) break
        await new Promise((r) => setTimeout(r, 5))
      }
      await stack.killComponent(validatorOf(mode))
      const second = Array.from({ length: 10 }, (_, n) => post(10 + n))
      await new Promise((r) => setTimeout(r, 300))
      await stack.startComponent(validatorOf(mode))
      const responses = await Promise.all([...first, ...second])
      expect(responses.map((r) => r.status)).toEqual(Array(20).fill(201))
      const ids = responses.map((r) => r.headers.get('x-request-id')!)
      const received = await stack.received()
      if (mode !== 'single-validation') {
        // The crash is before the upstream: no request is sent there twice.
        for (const id of ids) expect(received.filter((r) => r.requestId === id).length).toBe(1)
        return
      }
      // The validating backend crashed mid-call: a redelivered request may be sent again, with
      // the same Idempotency-Key, so the upstream creates each order once.
      for (const id of ids) {
        const calls = received.filter((r) => r.requestId === id)
        expect(calls.length).toBeGreaterThanOrEqual(1)
        expect(calls.every((c) => c.idempotencyKey === id)).toBe(true)
      }
      const list = (await (await fetch(`${stack.url}/demo/orders`)).json()) as {
        orders: Array<{ item: string }>
      }
      for (let n = 0; n < 20; n++) {
        expect(list.orders.filter((o) => o.item === `crash-${n}`)).toHaveLength(1)
      }
    })
  })

  describe('tokens end to end', () => {
    const order = (token?: string) =>
      fetch(`${stack.url}/demo/orders`, {
        method: 'POST',
        headers: token === undefined ? json : { ...json, authorization: `Bearer ${token}` },
        body: JSON.stringify({ item: 'tea', quantity: 1 }),
      })
    const stats = (token?: string) =>
      fetch(`${stack.url}/demo/admin/stats`, {
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      })

    it('AUTH-201 POST /orders without a token is 401 TOKEN_MISSING with WWW-Authenticate: Bearer', async () => {
      const before = (await stack.received()).length
      const res = await order()
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Bearer')
      expect((await problem(res)).code).toBe('TOKEN_MISSING')
      expect((await stack.received()).length).toBe(before)
    })

    it('AUTH-202 with roles.orders the order is created; the upstream gets an access token of the access service as Portcullis-Actor and no Authorization', async () => {
      const token = await bearer(['orders'], 'alice')
      const res = await order(token)
      expect(res.status).toBe(201)
      const seen = (await stack.received()).find(
        (r) => r.requestId === res.headers.get('x-request-id'),
      )!
      expect(seen.headers['authorization']).toBeUndefined()
      const actor = seen.headers['portcullis-actor']
      expect(typeof actor).toBe('string')
      const jwks = await (await fetch(`${stack.url}/.well-known/jwks.json`)).json()
      const verifier = createTokenVerifier({
        now: Date.now,
        kinds: [
          {
            kind: 'access',
            issuer: ISSUERS.access,
            audience: 'portcullis:demo',
            algorithms: ['EdDSA'],
            keys: { jwks },
          },
        ],
      })
      const verified = await verifier.verify(actor as string, 'access')
      expect(verified.claims).toMatchObject({
        iss: ISSUERS.access,
        sub: 'alice',
        idp: 'bearer',
        roles: ['orders'],
      })
      expect(JSON.stringify(seen)).not.toContain(token)
    })

    it('AUTH-203 roles without orders are 403 CLAIMS_NOT_MET and nothing reaches the upstream', async () => {
      const before = (await stack.received()).length
      const res = await order(await bearer(['reader'], 'bob'))
      expect(res.status).toBe(403)
      expect((await problem(res)).code).toBe('CLAIMS_NOT_MET')
      expect((await stack.received()).length).toBe(before)
    })

    it('AUTH-204 GET /admin/stats answers an admin with the order count; others get 403 or 401', async () => {
      const res = await stats(await bearer(['admin'], 'carol'))
      expect(res.status).toBe(200)
      const body = (await res.json()) as { orders: number }
      expect(Number.isInteger(body.orders)).toBe(true)
      const orders = await stats(await bearer(['orders'], 'dave'))
      expect(orders.status).toBe(403)
      expect((await problem(orders)).code).toBe('CLAIMS_NOT_MET')
      const none = await stats()
      expect(none.status).toBe(401)
      expect((await problem(none)).code).toBe('TOKEN_MISSING')
    })

    it('AUTH-205 an expired bearer token and garbage are 401 with their own codes, on a public route too', async () => {
      const { mintDevToken } = await import('../../cli/commands/token.js')
      const expired = await mintDevToken({
        keysDir: stack.config.paths.keys,
        sub: 'erin',
        roles: ['orders'],
        ttlSeconds: 60,
        now: Date.now() - 3_600_000,
      })
      bearers.push(expired.token)
      const res = await order(expired.token)
      expect(res.status).toBe(401)
      expect((await problem(res)).code).toBe('TOKEN_EXPIRED')
      const garbage = await fetch(`${stack.url}/demo/orders`, {
        headers: { authorization: 'Bearer not-a-token' },
      })
      expect(garbage.status).toBe(401)
      expect(garbage.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
      expect((await problem(garbage)).code).toBe('TOKEN_MALFORMED')
    })

    it('RATE-201 GET /ping beyond its 5 per 10 s is 429 RATE_LIMITED with Retry-After; nothing more reaches the upstream', async () => {
      // A subject of its own: its own budget. The binding's windows follow the clock, so the
      // burst starts early in one.
      const headers = { authorization: `Bearer ${await bearer([], 'rate-demo')}` }
      const into = Date.now() % 10_000
      if (into > 5_000) await new Promise((r) => setTimeout(r, 10_050 - into))
      const before = (await stack.received()).filter((r) => r.path === '/ping').length
      const statuses: number[] = []
      for (let i = 0; i < 7; i++) {
        statuses.push((await fetch(`${stack.url}/demo/ping`, { headers })).status)
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429])
      const res = await fetch(`${stack.url}/demo/ping`, { headers })
      expect(res.status).toBe(429)
      expect((await problem(res)).code).toBe('RATE_LIMITED')
      expect(res.headers.get('retry-after')).toBe('10')
      expect(res.headers.get('ratelimit')).toBe('"burst";r=0;t=10')
      const after = (await stack.received()).filter((r) => r.path === '/ping').length
      expect(after - before).toBe(5)
    })

    it('AUTH-207 a bearer token never reaches dreq: the raw message waiting on the dirty-request bus carries only the access token', async () => {
      const token = await bearer(['orders'], 'nats-one')
      await stack.killComponent(validatorOf(mode))
      const nc = await connectAs({
        topology: stack.topology,
        keysDir: stack.config.paths.keys,
        identity: 'admin',
        bus: 'dreq',
      })
      try {
        const pending = order(token)
        const jsm = await jetstreamManager(nc)
        let raw: StoredMsg | null = null
        for (let i = 0; i < 300 && !raw; i++) {
          const info = await jsm.streams.info('DREQ')
          if (info.state.messages > 0) {
            raw = await jsm.streams.getMessage('DREQ', { seq: info.state.last_seq })
          } else await new Promise((r) => setTimeout(r, 10))
        }
        expect(raw).not.toBeNull()
        const headers = [...(raw!.header ?? [])]
        const text = new TextDecoder().decode(raw!.data) + JSON.stringify(headers)
        expect(text).not.toContain(token.split('.')[2]!)
        expect(headers.map(([name]) => name.toLowerCase())).not.toContain('authorization')
        const actor = decodeJwt(raw!.header!.get('Portcullis-Actor'))
        expect(actor).toMatchObject({ iss: ISSUERS.access, sub: 'nats-one' })
        await stack.startComponent(validatorOf(mode))
        expect((await pending).status).toBe(201)
      } finally {
        await nc.close()
      }
    })

    it('AUTH-206 no bearer token sent by any test appears in anything the upstream received', async () => {
      const everything = JSON.stringify(await stack.received())
      expect(bearers.length).toBeGreaterThan(3)
      for (const token of bearers) {
        expect(everything).not.toContain(token)
        expect(everything).not.toContain(token.split('.')[2]!)
      }
    })
  })

  describe('the audit trail', () => {
    it('AUD-401 a request leaves one event per stage it crossed under its one id; refusals at the edge and at the validator are recorded with their codes', async () => {
      const ok = await fetch(`${stack.url}/demo/orders`, {
        method: 'POST',
        headers: orderHeaders,
        body: JSON.stringify({ item: 'audited', quantity: 1 }),
      })
      expect(ok.status).toBe(201)
      const atEdge = await fetch(`${stack.url}/demo/orders`, { method: 'DELETE' })
      expect(atEdge.status).toBe(405)
      const atValidator = await fetch(`${stack.url}/demo/orders`, {
        method: 'POST',
        headers: orderHeaders,
        body: JSON.stringify({ item: 'audited', quantity: 0 }),
      })
      expect(atValidator.status).toBe(400)
      const [okId = '', edgeId = '', validatorId = ''] = [ok, atEdge, atValidator].map((r) =>
        r.headers.get('x-request-id')!,
      )

      // The embedded store has one writer: read it while the sink is stopped (its last batch
      // is written when it stops; what it has not fetched yet waits in the AUDIT streams).
      let events: StoredAuditEvent[] = []
      const validator = mode === 'single-validation' ? 'backend-demo' : 'request-validator'
      const responder = mode === 'single-validation' ? 'backend-demo' : 'response-validator'
      const expected = [
        ['edge', 'edge-local'],
        ['relay', 'relay'],
        ['request-validator', validator],
        ['backend', 'backend-demo'],
        ['response-validator', responder],
        ['relay', 'relay'],
      ]
      for (let attempt = 0; attempt < 20; attempt++) {
        await new Promise((r) => setTimeout(r, 500))
        await stack.stopComponent('audit-sink')
        const db = await openAuditDatabase({ dataDir: stack.config.paths.data, create: false })
        try {
          events = await queryAudit(db, { limit: 1000 })
          if (
            attempt === 19 ||
            events.filter((e) => e.requestId === okId).length >= expected.length
          ) {
            const key = readAuditPublicKey(auditKeyPaths(stack.config.paths.keys).publicKey)
            expect((await verifyAudit(db, key)).ok).toBe(true)
            break
          }
        } finally {
          await db.close()
          await stack.startComponent('audit-sink')
        }
      }
      const of = (id: string) =>
        events
          .filter((e) => e.requestId === id)
          .map((e) => [e.stage, e.component, e.verdict, e.code ?? null])
          .sort()
      expect(of(okId)).toEqual(expected.map(([stage, c]) => [stage, c, 'accept', null]).sort())
      expect(of(edgeId)).toEqual([['edge', 'edge-local', 'reject', 'METHOD_NOT_ALLOWED']])
      expect(of(validatorId)).toEqual(
        [
          ['edge', 'edge-local', 'accept', null],
          ['relay', 'relay', 'accept', null],
          ['request-validator', validator, 'reject', 'BODY_SCHEMA_VIOLATION'],
          ['relay', 'relay', 'accept', null],
        ].sort(),
      )
      const first = events.find((e) => e.requestId === okId && e.stage === 'request-validator')!
      expect(first.actor).toBe('alice')
      expect(first.bodyDigest).toMatch(/^sha256:[0-9a-f]{64}$/)
    })
  })
  return () => stack
}
