import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { compileRoutes, PROBLEM_CONTENT_TYPE, type EdgePolicy } from '../../core/index.js'
import type { QuotaNamespace } from '../quota/client.js'
import {
  bearerToken,
  configuredPolicy,
  rateLimits,
  recordingLink,
  tokenServices,
} from '../testing/index.js'
import { createIngress, type RateLimits } from './index.js'

// The repository's policy: GET /demo/ping is limited to 5 per 10 s per client (the binding
// RATE_LIMIT_5_PER_10 of wrangler.toml) with a quota of 1000 per hour. The binding's
// windows are aligned to the clock, shared by the whole run: every test keys its own client.
const EDGE = 'https://edge.test'
const LIMIT = 5

function setup(opts: { policy?: EdgePolicy; limits?: RateLimits; now?: () => number } = {}) {
  const link = recordingLink()
  const app = createIngress({
    policy: opts.policy ?? configuredPolicy(),
    link,
    tokens: tokenServices(),
    rateLimits: opts.limits ?? rateLimits(),
    now: opts.now ?? Date.now,
  })
  const send = (path: string, headers: Record<string, string> = {}) =>
    app.fetch(new Request(EDGE + path, { headers }))
  return { link, send }
}

const unique = () => crypto.randomUUID().slice(0, 8)
const ipOf = () => `198.51.100.${Math.floor(Math.random() * 250) + 1}-${unique()}`

/** Waits for a fresh 10 s window when the current one is nearly over, so a burst fits in one. */
async function freshWindow() {
  const into = Date.now() % 10_000
  if (into > 6_000) await new Promise((r) => setTimeout(r, 10_050 - into))
}

async function burst(send: () => Response | Promise<Response>, n: number): Promise<number[]> {
  const statuses: number[] = []
  for (let i = 0; i < n; i++) statuses.push((await send()).status)
  return statuses
}

/** A policy with a host `rl` whose one route has `rateLimit`. */
function policyWith(rateLimit: unknown): EdgePolicy {
  const base = configuredPolicy()
  const rl = compileRoutes('rl', {
    openapi: '3.1.0',
    paths: { '/q': { get: { operationId: 'q', 'x-portcullis-rate-limit': rateLimit } } },
  })
  return { ...base, hosts: { ...base.hosts, rl } }
}

describe('rate limits at the edge', () => {
  it('RATE-101 a burst above the limit gets 429 RATE_LIMITED with Retry-After and RateLimit headers; nothing more reaches the link', async () => {
    const { send, link } = setup()
    await freshWindow()
    const ip = ipOf()
    const statuses = await burst(() => send('/demo/ping', { 'cf-connecting-ip': ip }), LIMIT)
    expect(statuses).toEqual(Array(LIMIT).fill(200))
    const res = await send('/demo/ping', { 'cf-connecting-ip': ip })
    expect(res.status).toBe(429)
    expect(res.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE)
    expect(((await res.json()) as { code: string }).code).toBe('RATE_LIMITED')
    expect(res.headers.get('retry-after')).toBe('10')
    expect(res.headers.get('ratelimit')).toBe('"burst";r=0;t=10')
    expect(res.headers.get('ratelimit-policy')).toBe('"burst";q=5;w=10, "quota";q=1000;w=3600')
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/)
    expect(link.sent).toHaveLength(LIMIT)
    // An unlimited route is not affected by the exhausted budget.
    expect((await send('/demo/orders', { 'cf-connecting-ip': ip })).status).toBe(200)
  })

  it('RATE-102 a spoofed X-Forwarded-For or X-Real-IP does not buy a new budget', async () => {
    const { send, link } = setup()
    await freshWindow()
    const ip = ipOf()
    await burst(() => send('/demo/ping', { 'cf-connecting-ip': ip }), LIMIT)
    for (let i = 0; i < 3; i++) {
      const res = await send('/demo/ping', {
        'cf-connecting-ip': ip,
        'x-forwarded-for': `203.0.113.${i + 1}`,
        'x-real-ip': `203.0.113.${i + 1}`,
        forwarded: `for=203.0.113.${i + 1}`,
      })
      expect(res.status).toBe(429)
    }
    expect(link.sent).toHaveLength(LIMIT)
  })

  it('RATE-103 two subjects have separate budgets, also from one address; a subject does not spend the address budget', async () => {
    const { send } = setup()
    const alice = await bearerToken([], `rate-alice-${unique()}`)
    const bob = await bearerToken([], `rate-bob-${unique()}`)
    await freshWindow()
    const ip = ipOf()
    const as = (token: string) => ({ authorization: `Bearer ${token}`, 'cf-connecting-ip': ip })
    expect(await burst(() => send('/demo/ping', as(alice)), LIMIT + 1)).toEqual([
      ...Array(LIMIT).fill(200),
      429,
    ])
    expect(await burst(() => send('/demo/ping', as(bob)), LIMIT + 1)).toEqual([
      ...Array(LIMIT).fill(200),
      429,
    ])
    // The address itself, anonymous, still has its own budget.
    expect((await send('/demo/ping', { 'cf-connecting-ip': ip })).status).toBe(200)
  })

  it('RATE-104 cf-connecting-ip keys anonymous clients: another address has its own budget', async () => {
    const { send } = setup()
    await freshWindow()
    const a = ipOf()
    const b = ipOf()
    expect(await burst(() => send('/demo/ping', { 'cf-connecting-ip': a }), LIMIT + 1)).toContain(
      429,
    )
    expect((await send('/demo/ping', { 'cf-connecting-ip': b })).status).toBe(200)
  })

  it('RATE-105 the quota is exact: concurrent takes in one object grant exactly the limit, then the next window', async () => {
    const ns = env.RATE_QUOTA as unknown as QuotaNamespace
    const object = ns.get(ns.idFromName(`quota-test-${unique()}`))
    const now = Date.UTC(2026, 0, 1, 12, 0, 0)
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, () => object.take(20, 3600, now + 1_000)),
    )
    const granted = outcomes.filter((o) => o.allowed)
    expect(granted).toHaveLength(20)
    expect(granted.map((o) => o.remaining).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    )
    expect(outcomes.find((o) => !o.allowed)).toEqual({
      allowed: false,
      remaining: 0,
      resetSeconds: 3599,
    })
    // The window is fixed: the next hour starts from zero.
    expect(await object.take(20, 3600, now + 3_600_000)).toMatchObject({
      allowed: true,
      remaining: 19,
    })
  })

  it('RATE-106 a quota route: RateLimit shows what is left; beyond the quota 429 with Retry-After until the window ends', async () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0) + 600_000
    const { send, link } = setup({
      policy: policyWith({ limit: 5, period: 10, quota: { limit: 3, period: 3600 } }),
      now: () => now,
    })
    await freshWindow()
    const ip = ipOf()
    const first = await send('/rl/q', { 'cf-connecting-ip': ip })
    expect(first.status).toBe(200)
    expect(first.headers.get('ratelimit')).toBe('"quota";r=2;t=3000')
    expect(first.headers.get('ratelimit-policy')).toBe('"burst";q=5;w=10, "quota";q=3;w=3600')
    expect(await burst(() => send('/rl/q', { 'cf-connecting-ip': ip }), 3)).toEqual([200, 200, 429])
    const res = await send('/rl/q', { 'cf-connecting-ip': ip })
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('3000')
    expect(res.headers.get('ratelimit')).toBe('"quota";r=0;t=3000')
    expect(link.sent).toHaveLength(3)
  })

  it('RATE-107 the shield fails open, the quota fails closed, and a limited route without bindings fails 500', async () => {
    const broken = new Error('binding down')
    const shieldDown = setup({
      policy: policyWith({ limit: 5, period: 10 }),
      limits: { limiter: () => ({ limit: () => Promise.reject(broken) }) },
    })
    expect((await shieldDown.send('/rl/q')).status).toBe(200)

    const quotaDown = setup({
      policy: policyWith({ limit: 5, period: 10, quota: { limit: 3, period: 60 } }),
      limits: {
        limiter: () => ({ limit: async () => ({ success: true }) }),
        quota: { take: () => Promise.reject(broken) },
      },
    })
    const res = await quotaDown.send('/rl/q')
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('1')
    expect(quotaDown.link.sent).toHaveLength(0)

    const unbound = setup({ limits: { limiter: () => undefined } })
    expect((await unbound.send('/demo/ping')).status).toBe(500)
    expect((await unbound.send('/demo/orders')).status).toBe(200)
    expect(unbound.link.sent).toHaveLength(1)
  })
})
