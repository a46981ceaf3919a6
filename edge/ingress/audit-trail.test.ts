import { describe, expect, it } from 'vitest'
import { GatewayError } from '../../core/index.js'
import { openPolicy, recordingLink, tokenServices } from '../testing/index.js'
import type { EdgeAuditEvent } from './audit-trail.js'
import { createIngress } from './index.js'

const NOW = Date.now()

function setup(link = recordingLink()) {
  const events: EdgeAuditEvent[] = []
  let ids = 0
  const app = createIngress({
    policy: openPolicy(),
    link,
    tokens: tokenServices(),
    now: () => NOW,
    newRequestId: () => `req${String(++ids).padStart(8, '0')}`,
    audit: async (event) => void events.push(event),
  })
  const send = async (path: string, init?: RequestInit) => {
    const res = await app.fetch(new Request(`https://edge.test${path}`, init))
    // The event leaves after the response; let it.
    await new Promise((r) => setTimeout(r, 0))
    return res
  }
  return { send, events }
}

describe('the edge audit trail', () => {
  it('AUD-301 an edge refusal is recorded with its code, though it never reaches the link', async () => {
    const { send, events } = setup()
    const res = await send('/nope/orders')
    expect(res.status).toBe(404)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      requestId: res.headers.get('x-request-id'),
      stage: 'edge',
      verdict: 'reject',
      code: 'HOST_NOT_FOUND',
      method: 'GET',
      status: 404,
    })
  })

  it('records a forwarded request as accepted, with its target, status and body digest', async () => {
    const { send, events } = setup()
    const res = await send('/demo/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"item":"book","quantity":1}',
    })
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      requestId: res.headers.get('x-request-id'),
      verdict: 'accept',
      host: 'demo',
      port: 443,
      path: '/orders',
      status: res.status,
    })
    expect(events[0]!.bodyDigest).toMatch(/^sha256:[0-9a-f]{64}$/)
  })

  it('records a lost link as an error, and a later stage refusal as the edge passing it on', async () => {
    const down = setup(recordingLink(() => new GatewayError('BUS_UNAVAILABLE', { reason: 'x' })))
    await down.send('/demo/orders')
    expect(down.events[0]).toMatchObject({ verdict: 'error', code: 'BUS_UNAVAILABLE', status: 503 })

    const refused = setup(recordingLink(() => ({ error: 'BODY_SCHEMA_VIOLATION', status: 400 })))
    await refused.send('/demo/orders')
    expect(refused.events[0]).toMatchObject({ verdict: 'accept', status: 400 })
    expect(refused.events[0]!.code).toBeUndefined()
  })
})
