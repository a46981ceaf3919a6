import { describe, expect, inject, it } from 'vitest'
import { env } from 'cloudflare:workers'
import { GatewayError, type RequestEnvelope } from '../../core/index.js'
import { LinkConnection } from './connection.js'

const creds = env.LINK_CREDS
const request: RequestEnvelope = {
  requestId: 'abcdefgh02',
  deadline: Date.now() + 60_000,
  method: 'GET',
  host: 'demo',
  port: 443,
  path: '/orders',
  query: '',
  headers: [],
  body: new Uint8Array(0),
}

async function failureOf(p: Promise<unknown>): Promise<{ code: string; ms: number }> {
  const started = Date.now()
  try {
    await p
    return { code: 'none', ms: Date.now() - started }
  } catch (e) {
    return { code: e instanceof GatewayError ? e.code : String(e), ms: Date.now() - started }
  }
}

describe('link connection (wsconnect inside workerd)', () => {
  it('LINK-401 a refused connect is BUS_UNAVAILABLE at once', async () => {
    const link = new LinkConnection({
      urls: ['ws://127.0.0.1:9'],
      creds,
      edgeId: 'local',
      name: 'test',
    })
    const { code, ms } = await failureOf(link.request(request, 10_000))
    expect(code).toBe('BUS_UNAVAILABLE')
    expect(ms).toBeLessThan(5_000)
  })

  it('LINK-402 a connect that never completes is cut at the request deadline', async () => {
    const url = inject('blackholeUrl')
    const link = new LinkConnection({ urls: [url], creds, edgeId: 'local', name: 'test' })
    const { code, ms } = await failureOf(link.request(request, 400))
    expect(code).toBe('BUS_UNAVAILABLE')
    expect(ms).toBeGreaterThanOrEqual(300)
    expect(ms).toBeLessThan(3_000)
    // The next request tries again rather than inheriting a stuck attempt forever.
    const again = await failureOf(link.request(request, 300))
    expect(again.code).toBe('BUS_UNAVAILABLE')
    expect(again.ms).toBeLessThan(3_000)
  })
})
