import { describe, expect, it } from 'vitest'
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { PROBLEM_CONTENT_TYPE } from '../core/index.js'
import worker from './index.js'
import { UNSENT_RETRY_WINDOW_MS } from './link/constants.js'
import { bearerToken } from './testing/index.js'

// The real default export with the bindings of wrangler.toml plus the pool's POLICY (the
// repository's config) and a LINK_URL on a closed port. Each call waits for the work the
// worker left behind (its audit event, which tries the link) so none outlives the test.
async function fetchEdge(path: string, init?: RequestInit) {
  const ctx = createExecutionContext()
  const res = await worker.fetch(new Request(`https://edge.test${path}`, init), env, ctx)
  const body =
    res.headers.get('content-type') === PROBLEM_CONTENT_TYPE
      ? ((await res.json()) as Record<string, unknown>)
      : await res.text()
  const started = Date.now()
  await waitOnExecutionContext(ctx)
  return { res, body, leftBehindMs: Date.now() - started }
}

describe('worker (default export)', () => {
  it('EDGE-101 a refused port answers 404 PORT_BLOCKED with a request id', async () => {
    for (const port of [666, 888, 8443]) {
      const { res, body } = await fetchEdge(`/demo:${port}/orders`)
      expect(res.status).toBe(404)
      expect(body).toMatchObject({ code: 'PORT_BLOCKED', status: 404 })
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/)
    }
  })

  it('EDGE-102 an unknown host answers 404 HOST_NOT_FOUND; its audit event cannot outlive the link connect budget', async () => {
    const { res, body, leftBehindMs } = await fetchEdge('/nope/orders')
    expect(leftBehindMs).toBeLessThan(3_000)
    expect(res.status).toBe(404)
    expect(body).toMatchObject({
      code: 'HOST_NOT_FOUND',
      requestId: res.headers.get('x-request-id'),
    })
  })

  it('EDGE-103 with the link server unreachable a valid request answers 503 BUS_UNAVAILABLE through the pool', async () => {
    const token = await bearerToken(['orders'])
    const started = Date.now()
    const { res, body } = await fetchEdge('/demo/orders', {
      headers: { authorization: `Bearer ${token}`, 'x-request-id': 'mine' },
    })
    expect(res.status).toBe(503)
    expect(body).toMatchObject({ code: 'BUS_UNAVAILABLE' })
    expect(res.headers.get('x-request-id')).not.toBe('mine')
    // Tried again for UNSENT_RETRY_WINDOW_MS (a link restarting would be back by then).
    expect(Date.now() - started).toBeLessThan(UNSENT_RETRY_WINDOW_MS + 3_000)
  }, 15_000)
})
