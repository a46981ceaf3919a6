/**
 * Rate-limit keys of the edge as `portcullis up` runs it: the worker under `wrangler dev`
 * (real workerd, wrangler's proxy worker in front, the generated rate-limit bindings), with
 * this test acting as the relay on the link. Locally a client can send `CF-Connecting-IP`
 * itself (miniflare fills it in only when it is absent), so it must not pick a budget.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NatsConnection, Subscription } from '@nats-io/nats-core'
import { answerLinkRequests, startBuses, type BusHarness } from '../harness/buses.js'
import { startWranglerDev, type WranglerDev } from '../harness/wrangler.js'

let buses: BusHarness
let edge: WranglerDev
let relay: NatsConnection
let serving: Subscription

/** Waits for a fresh window of `periodMs` when the current one is nearly over. */
async function freshWindow(periodMs: number) {
  const into = Date.now() % periodMs
  if (into > periodMs - 5_000) await new Promise((r) => setTimeout(r, periodMs - into + 100))
}

const spoofed = (i: number) => ({
  'cf-connecting-ip': `203.0.113.${i + 1}`,
  'x-forwarded-for': `198.51.100.${i + 1}`,
  'x-real-ip': `198.51.100.${i + 1}`,
  'true-client-ip': `198.51.100.${i + 1}`,
})

beforeAll(async () => {
  // The token endpoint at 5 per 10 s here (the default is 30 per 60 s): the generated config
  // binds RATE_LIMIT_5_PER_10, which GET /demo/ping uses too.
  buses = await startBuses({ edge: { tokenEndpointRateLimit: { limit: 5, period: 10 } } })
  edge = await startWranglerDev({
    dir: buses.dir,
    config: buses.config,
    keysDir: buses.keysDir,
    port: buses.config.edge.port,
  })
  relay = await buses.connect('relay', 'link')
  serving = answerLinkRequests(relay, () => new TextEncoder().encode('{"status":"ok"}'))
  await relay.flush()
}, 90_000)

afterAll(async () => {
  await serving?.drain()
  await edge?.stop()
  await buses?.stop()
})

describe('rate-limit keys under wrangler dev', () => {
  it('RATE-317 a client that sends its own CF-Connecting-IP (or X-Forwarded-For, True-Client-IP) each time still spends one budget', async () => {
    await freshWindow(10_000)
    const statuses: number[] = []
    for (let i = 0; i < 7; i++) {
      statuses.push((await fetch(`${edge.url}/demo/ping`, { headers: spoofed(i) })).status)
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429])
  })

  it('RATE-318 POST /oauth2/token under a chosen address each time: 429 EXCHANGE_RATE_LIMITED (slow_down) once the budget is spent', async () => {
    await freshWindow(10_000)
    const statuses: number[] = []
    let last: Response | undefined
    for (let i = 0; i < 6; i++) {
      last = await fetch(`${edge.url}/oauth2/token`, {
        method: 'POST',
        headers: { ...spoofed(i), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token=x.y.z&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt',
      })
      statuses.push(last.status)
    }
    expect(statuses.slice(0, 5)).not.toContain(429)
    expect(statuses[5]).toBe(429)
    expect(last!.headers.get('retry-after')).toBe('10')
    const body = (await last!.json()) as { code: string; error: string }
    expect(body).toMatchObject({ code: 'EXCHANGE_RATE_LIMITED', error: 'slow_down' })
  })
})
