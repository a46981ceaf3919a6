import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createLogger } from '../runtime/index.js'
import { startDemo, type DemoServer, type ReceivedRequest } from './server.js'

let demo: DemoServer
const lines: string[] = []

beforeAll(async () => {
  demo = await startDemo(
    { demo: { port: 0 } },
    createLogger('info', (l) => lines.push(l)),
  )
})
afterAll(() => demo.stop())
beforeEach(async () => {
  await fetch(`${demo.url}/_demo/reset`, { method: 'POST' })
})

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${demo.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })

describe('demo upstream', () => {
  it('listens on loopback only', () => {
    expect(demo.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  })

  it('lists the two seeded orders and finds one', async () => {
    const list = (await (await fetch(`${demo.url}/orders`)).json()) as {
      orders: Array<{ id: string }>
    }
    expect(list.orders.map((o) => o.id)).toEqual(['1', '2'])
    const one = await fetch(`${demo.url}/orders/2`)
    expect(one.status).toBe(200)
    expect(await one.json()).toMatchObject({ id: '2', item: 'gadget', quantity: 1 })
    const missing = await fetch(`${demo.url}/orders/99`)
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({ error: 'no such order' })
  })

  it('answers an order with an ETag, and If-None-Match naming it with 304 and no body', async () => {
    const one = await fetch(`${demo.url}/orders/1`)
    const etag = one.headers.get('etag')
    expect(etag).toMatch(/^"[\w-]{16}"$/)
    const again = await fetch(`${demo.url}/orders/1`, { headers: { 'if-none-match': etag! } })
    expect(again.status).toBe(304)
    expect(again.headers.get('etag')).toBe(etag)
    expect(await again.text()).toBe('')
    const other = await fetch(`${demo.url}/orders/1`, { headers: { 'if-none-match': '"old"' } })
    expect(other.status).toBe(200)
  })

  it('answers a control answer given as base64 bytes exactly', async () => {
    const bytes = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff])
    await post('/_demo/control', {
      next: {
        status: 200,
        headers: { 'content-encoding': 'gzip' },
        bodyBase64: bytes.toString('base64'),
      },
    })
    const res = await fetch(`${demo.url}/orders/1`, { headers: { 'accept-encoding': 'identity' } })
    expect(res.headers.get('content-encoding')).toBe('gzip')
    const raw = await new Promise<Buffer>((resolve, reject) => {
      void post('/_demo/control', {
        next: { status: 200, headers: {}, bodyBase64: bytes.toString('base64') },
      }).then(async () => {
        const r = await fetch(`${demo.url}/orders/1`)
        resolve(Buffer.from(await r.arrayBuffer()))
      }, reject)
    })
    expect(raw).toEqual(bytes)
  })

  it('creates an order, and a repeated Idempotency-Key returns the stored answer and creates nothing', async () => {
    const first = await post('/orders', { item: 'tea', quantity: 2 }, { 'idempotency-key': 'k1' })
    expect(first.status).toBe(201)
    const created = (await first.json()) as Record<string, unknown>
    expect(Object.keys(created).sort()).toEqual(['createdAt', 'id', 'item', 'quantity'])
    const again = await post('/orders', { item: 'tea', quantity: 2 }, { 'idempotency-key': 'k1' })
    expect(again.status).toBe(201)
    expect(await again.json()).toEqual(created)
    const list = (await (await fetch(`${demo.url}/orders`)).json()) as { orders: unknown[] }
    expect(list.orders).toHaveLength(3)
  })

  it('counts the writes it receives per Idempotency-Key (its own replay comes after the count), on a control route', async () => {
    await post('/orders', { item: 'tea', quantity: 2 }, { 'idempotency-key': 'k1' })
    await post('/orders', { item: 'tea', quantity: 2 }, { 'idempotency-key': 'k1' })
    await post('/orders', { item: 'tea', quantity: 2 }, { 'idempotency-key': 'k2' })
    await fetch(`${demo.url}/orders`, { headers: { 'idempotency-key': 'k3' } })
    const res = await fetch(`${demo.url}/_demo/executions`)
    expect(await res.json()).toEqual({ executions: { k1: 2, k2: 1 } })
    await fetch(`${demo.url}/_demo/reset`, { method: 'POST' })
    expect(await (await fetch(`${demo.url}/_demo/executions`)).json()).toEqual({ executions: {} })
  })

  it('leaks on /debug/leak: a stack trace, an undeclared field and banner headers', async () => {
    const res = await fetch(`${demo.url}/debug/leak`)
    expect(res.status).toBe(200)
    expect(res.headers.get('server')).toBeTruthy()
    expect(res.headers.get('x-powered-by')).toBe('Express')
    const body = await res.text()
    expect(body).toMatch(/at .*server\.ts/)
    expect(JSON.parse(body)).toHaveProperty('debug')
  })

  it('adds a note to an order, and 404 for a missing one', async () => {
    const res = await post('/orders/1/notes', { text: 'ring twice', author: 'Ann', tags: ['door'] })
    expect(res.status).toBe(201)
    expect(await res.json()).toEqual({
      id: '1',
      orderId: '1',
      text: 'ring twice',
      author: 'Ann',
      tags: ['door'],
    })
    expect((await post('/orders/99/notes', { text: 'x', author: 'y' })).status).toBe(404)
  })

  it('searches orders by item, sorted and limited', async () => {
    const res = await fetch(`${demo.url}/search?q=GET&sort=item&limit=1`)
    const found = (await res.json()) as { orders: Array<{ item: string }> }
    expect(found.orders.map((o) => o.item)).toEqual(['gadget'])
    const [seen] = (
      (await (await fetch(`${demo.url}/_demo/received`)).json()) as { requests: ReceivedRequest[] }
    ).requests
    expect(seen).toMatchObject({ path: '/search', query: 'q=GET&sort=item&limit=1' })
  })

  it('records what it received, but not its control requests', async () => {
    await post(
      '/orders',
      { item: 'x', quantity: 1 },
      { 'x-request-id': 'abc', 'idempotency-key': 'abc' },
    )
    const { requests } = (await (await fetch(`${demo.url}/_demo/received`)).json()) as {
      requests: ReceivedRequest[]
    }
    expect(requests).toHaveLength(1)
    expect(requests[0]).toMatchObject({
      requestId: 'abc',
      idempotencyKey: 'abc',
      method: 'POST',
      path: '/orders',
      body: '{"item":"x","quantity":1}',
    })
    expect(
      lines.some((l) => l.startsWith('info request method=POST path=/orders status=201')),
    ).toBe(true)
  })

  it('delays every answer when told to, until reset', async () => {
    expect((await post('/_demo/control', { delayMs: 150 })).status).toBe(200)
    let started = Date.now()
    await fetch(`${demo.url}/orders`)
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    expect((await post('/_demo/control', { delayMs: -1 })).status).toBe(400)
    await fetch(`${demo.url}/_demo/reset`, { method: 'POST' })
    started = Date.now()
    await fetch(`${demo.url}/orders`)
    expect(Date.now() - started).toBeLessThan(140)
  })

  it('answers the next request with exactly what it was told, once', async () => {
    const next = {
      status: 418,
      headers: { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] },
      body: 'short and stout',
    }
    expect((await post('/_demo/control', { next })).status).toBe(200)
    const told = await fetch(`${demo.url}/orders`)
    expect(told.status).toBe(418)
    expect(told.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
    expect(await told.text()).toBe('short and stout')
    expect((await fetch(`${demo.url}/orders`)).status).toBe(200)
    for (const bad of [{ next: { status: 99 } }, { next: { status: 200, body: 1 } }, { x: 1 }]) {
      expect((await post('/_demo/control', bad)).status).toBe(400)
    }
  })

  it('sets a session cookie without its attributes and answers with an internal field', async () => {
    const res = await fetch(`${demo.url}/session`)
    expect(res.headers.get('set-cookie')).toMatch(/^session=\w+; Path=\/; SameSite=None$/)
    expect(await res.json()).toMatchObject({ user: 'demo', internalId: 'u-1932' })
  })
})
