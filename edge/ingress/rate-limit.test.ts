import { env } from 'cloudflare:workers'
import { createExecutionContext } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { compileRoutes, PROBLEM_CONTENT_TYPE, type EdgePolicy } from '../../core/index.js'
import type { QuotaNamespace } from '../quota/client.js'
import { readSettings } from '../settings.js'
import { createFetchHandler } from '../worker.js'
import {
  bearerService,
  bearerToken,
  configuredPolicy,
  rateLimits,
  recordingLink,
  tokenServices,
} from '../testing/index.js'
import { createIngress, type ClientAddressSource, type RateLimits } from './index.js'

// The repository's policy: GET /demo/ping is limited to 5 per 10 s per client (the binding
// RATE_LIMIT_5_PER_10 of wrangler.toml). The binding's windows are aligned to the clock and
// shared by the whole run: every test keys its own client, or its own host.
const EDGE = 'https://edge.test'
const LIMIT = 5

interface Setup {
  policy?: EdgePolicy
  limits?: RateLimits
  now?: () => number
  clientAddress?: ClientAddressSource
}

function setup(opts: Setup = {}) {
  const link = recordingLink()
  const app = createIngress({
    policy: opts.policy ?? configuredPolicy(),
    link,
    tokens: tokenServices(),
    rateLimits: opts.limits ?? rateLimits(),
    clientAddress: opts.clientAddress ?? 'cloudflare',
    now: opts.now ?? Date.now,
  })
  const send = (path: string, headers: Record<string, string> = {}, init: RequestInit = {}) =>
    app.fetch(new Request(EDGE + path, { ...init, headers }))
  return { link, send }
}

const unique = () => crypto.randomUUID().slice(0, 8)
const byte = () => Math.floor(Math.random() * 250) + 1
const ipOf = () => `198.51.${byte()}.${byte()}`
/** A fresh /64: 2001:db8:<random>:<random>::/64. */
const prefix64 = () =>
  `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:${Math.floor(Math.random() * 0xffff).toString(16)}`

/** Waits for a fresh window when the current one is nearly over, so a burst fits in one. */
async function freshWindow(periodMs = 10_000) {
  const into = Date.now() % periodMs
  if (into > periodMs - 4_000) await new Promise((r) => setTimeout(r, periodMs - into + 50))
}

async function burst(send: () => Response | Promise<Response>, n: number): Promise<number[]> {
  const statuses: number[] = []
  for (let i = 0; i < n; i++) statuses.push((await send()).status)
  return statuses
}

async function codeOf(res: Response): Promise<string> {
  return ((await res.json()) as { code: string }).code
}

/** A policy with hosts of their own (fresh names: budgets of earlier runs never meet). */
function policyWith(
  rateLimit: unknown,
  extra: Partial<EdgePolicy> = {},
): { policy: EdgePolicy; host: string; other: string } {
  const base = configuredPolicy()
  const host = `rl-${unique()}`
  const other = `rl-${unique()}`
  const doc = {
    openapi: '3.1.0',
    paths: {
      '/q': { get: { operationId: 'q', 'x-portcullis-rate-limit': rateLimit } },
      '/r': { get: { operationId: 'r', 'x-portcullis-rate-limit': rateLimit } },
    },
  }
  const hosts = {
    ...base.hosts,
    [host]: compileRoutes(host, doc),
    [other]: compileRoutes(other, doc),
  }
  return { policy: { ...base, ...extra, hosts }, host, other }
}

async function tokenWith(claims: Record<string, unknown>, sub = `t-${unique()}`) {
  return (await bearerService().mint({ sub, roles: [], claims })).token
}

const bearer = (token: string, more: Record<string, string> = {}) => ({
  authorization: `Bearer ${token}`,
  ...more,
})

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
    expect(await codeOf(res)).toBe('RATE_LIMITED')
    expect(res.headers.get('retry-after')).toBe('10')
    expect(res.headers.get('ratelimit')).toBe('"burst";r=0;t=10')
    expect(res.headers.get('ratelimit-policy')).toBe('"burst";q=5;w=10')
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/)
    expect(link.sent).toHaveLength(LIMIT)
    // An unlimited route is not affected by the exhausted budget.
    expect((await send('/demo/orders', { 'cf-connecting-ip': ip })).status).toBe(200)
  })

  it('RATE-102 a spoofed X-Forwarded-For, X-Real-IP, True-Client-IP or Forwarded does not buy a new budget', async () => {
    const { send, link } = setup()
    await freshWindow()
    const ip = ipOf()
    await burst(() => send('/demo/ping', { 'cf-connecting-ip': ip }), LIMIT)
    for (let i = 0; i < 3; i++) {
      const res = await send('/demo/ping', {
        'cf-connecting-ip': ip,
        'x-forwarded-for': `203.0.113.${i + 1}`,
        'x-real-ip': `203.0.113.${i + 1}`,
        'true-client-ip': `203.0.113.${i + 1}`,
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
    const as = (token: string) => bearer(token, { 'cf-connecting-ip': ip })
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
    const ns: QuotaNamespace = env.RATE_QUOTA
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
    // The clock stands still (tokens are verified by it too, so it is the time of the run).
    const now = Date.now()
    const t = Math.ceil((Math.floor(now / 3_600_000) * 3_600_000 + 3_600_000 - now) / 1000)
    const { policy, host } = policyWith({ limit: 5, period: 10, quota: { limit: 3, period: 3600 } })
    const { send, link } = setup({ policy, now: () => now })
    const token = await bearerToken([], `quota-${unique()}`)
    await freshWindow()
    const first = await send(`/${host}/q`, bearer(token))
    expect(first.status).toBe(200)
    expect(first.headers.get('ratelimit')).toBe(`"quota";r=2;t=${Math.max(1, t)}`)
    expect(first.headers.get('ratelimit-policy')).toBe('"burst";q=5;w=10, "quota";q=3;w=3600')
    expect(await burst(() => send(`/${host}/q`, bearer(token)), 3)).toEqual([200, 200, 429])
    const res = await send(`/${host}/q`, bearer(token))
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe(String(Math.max(1, t)))
    expect(res.headers.get('ratelimit')).toBe(`"quota";r=0;t=${Math.max(1, t)}`)
    expect(link.sent).toHaveLength(3)
  })

  it('RATE-107 the shield fails open, the quota fails closed, and a limited route without bindings fails 500', async () => {
    const broken = new Error('binding down')
    const open = policyWith({ limit: 5, period: 10 })
    const shieldDown = setup({
      policy: open.policy,
      limits: { limiter: () => ({ limit: () => Promise.reject(broken) }) },
    })
    expect((await shieldDown.send(`/${open.host}/q`)).status).toBe(200)

    const quota = policyWith({ limit: 5, period: 10, quota: { limit: 3, period: 60 } })
    const quotaDown = setup({
      policy: quota.policy,
      limits: {
        limiter: () => ({ limit: async () => ({ success: true }) }),
        quota: { take: () => Promise.reject(broken) },
      },
    })
    const res = await quotaDown.send(`/${quota.host}/q`, bearer(await bearerToken([])))
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('1')
    expect(quotaDown.link.sent).toHaveLength(0)

    const unbound = setup({ limits: { limiter: () => undefined } })
    expect((await unbound.send('/demo/ping')).status).toBe(500)
    expect((await unbound.send('/demo/orders')).status).toBe(200)
    expect(unbound.link.sent).toHaveLength(1)
  })
})

describe('client address buckets', () => {
  it('RATE-301 an IPv6 client is keyed by its /64: other addresses of the prefix, expanded, upper-case and zone-id spellings share one budget', async () => {
    const { send, link } = setup()
    await freshWindow()
    const p = prefix64()
    const [, , g2, g3] = p.split(':')
    const spellings = [
      `${p}::1`,
      `${p}:ffff:ffff:ffff:fffe`,
      `2001:0db8:${g2!.padStart(4, '0')}:${g3!.padStart(4, '0')}:0000:0000:0000:0003`,
      `${p}::4`.toUpperCase(),
      `${p}::5%eth0`,
    ]
    const statuses = []
    for (const ip of spellings)
      statuses.push((await send('/demo/ping', { 'cf-connecting-ip': ip })).status)
    expect(statuses).toEqual(Array(LIMIT).fill(200))
    for (const ip of [`${p}:1:2:3:4`, `${p}::abcd`, ` ${p}::6 `]) {
      expect((await send('/demo/ping', { 'cf-connecting-ip': ip })).status).toBe(429)
    }
    expect(link.sent).toHaveLength(LIMIT)
    // The neighbouring /64 is another subscriber.
    expect((await send('/demo/ping', { 'cf-connecting-ip': `${prefix64()}::1` })).status).toBe(200)
  })

  it('RATE-302 an IPv4-mapped IPv6 address is keyed as its IPv4 address, however it is spelled', async () => {
    const { send } = setup()
    await freshWindow()
    const [a, b, c, d] = [203, 0, byte(), byte()]
    const hex = (x: number, y: number) => ((x << 8) | y).toString(16)
    const spellings = [
      `${a}.${b}.${c}.${d}`,
      `::ffff:${a}.${b}.${c}.${d}`,
      `::FFFF:${hex(a, b)}:${hex(c, d)}`,
      `0:0:0:0:0:ffff:${a}.${b}.${c}.${d}`,
      `[::ffff:${a}.${b}.${c}.${d}]`,
    ]
    const statuses = []
    for (const ip of spellings)
      statuses.push((await send('/demo/ping', { 'cf-connecting-ip': ip })).status)
    expect(statuses).toEqual(Array(LIMIT).fill(200))
    expect((await send('/demo/ping', { 'cf-connecting-ip': `${a}.${b}.${c}.${d}` })).status).toBe(
      429,
    )
  })

  it('RATE-303 an address that cannot be parsed is never a key of its own: every such value shares one bucket', async () => {
    const { policy, host } = policyWith({ limit: 5, period: 10 })
    const { send, link } = setup({ policy })
    await freshWindow()
    const junk = [
      `not-an-ip-${unique()}`,
      `010.0.0.${byte()}`,
      `1.2.3.${256 + byte()}`,
      `2001:db8::1::${byte()}`,
      `::ffff:1.2.3.${byte()}.9`,
      `${ipOf()}, ${ipOf()}`,
      `${ipOf()}:8080`,
      '',
    ]
    const statuses = []
    for (const ip of junk)
      statuses.push((await send(`/${host}/q`, { 'cf-connecting-ip': ip })).status)
    expect(statuses).toEqual([...Array(LIMIT).fill(200), 429, 429, 429])
    // So does a request without the header at all, and a good address still has its own.
    expect((await send(`/${host}/q`)).status).toBe(429)
    expect((await send(`/${host}/q`, { 'cf-connecting-ip': ipOf() })).status).toBe(200)
    expect(link.sent).toHaveLength(LIMIT + 1)
  })

  it('RATE-304 with Cloudflare Pseudo IPv4 (a Class E address per IPv6 address) the real IPv6 /64 keys the client', async () => {
    const { send } = setup()
    await freshWindow()
    const p = prefix64()
    const statuses = []
    for (let i = 1; i <= LIMIT + 1; i++) {
      const headers = {
        'cf-connecting-ip': `240.${byte()}.${byte()}.${i}`,
        'cf-connecting-ipv6': `${p}::${i}`,
      }
      statuses.push((await send('/demo/ping', headers)).status)
    }
    expect(statuses).toEqual([...Array(LIMIT).fill(200), 429])
    // An ordinary IPv4 client cannot pick a bucket with a CF-Connecting-IPv6 of its own.
    const ip = ipOf()
    await burst(() => send('/demo/ping', { 'cf-connecting-ip': ip }), LIMIT)
    const res = await send('/demo/ping', {
      'cf-connecting-ip': ip,
      'cf-connecting-ipv6': `${prefix64()}::1`,
    })
    expect(res.status).toBe(429)
  })

  it('RATE-305 under wrangler dev (CLIENT_ADDRESS local) a client-sent CF-Connecting-IP does not choose the bucket: anonymous clients share one', async () => {
    const { policy, host } = policyWith({ limit: 5, period: 10 })
    const { send, link } = setup({ policy, clientAddress: 'local' })
    await freshWindow()
    const statuses = []
    for (let i = 0; i <= LIMIT; i++) {
      statuses.push((await send(`/${host}/q`, { 'cf-connecting-ip': ipOf() })).status)
    }
    expect(statuses).toEqual([...Array(LIMIT).fill(200), 429])
    expect(link.sent).toHaveLength(LIMIT)
    // A verified subject still has its own budget locally.
    const token = await bearerToken([], `local-${unique()}`)
    expect((await send(`/${host}/q`, bearer(token))).status).toBe(200)
  })

  it('RATE-306 the worker believes CF-Connecting-IP only when CLIENT_ADDRESS says cloudflare; any other value stops it', async () => {
    expect(readSettings(env).clientAddress).toBe('local')
    expect(readSettings({ ...env, CLIENT_ADDRESS: 'cloudflare' } as Env).clientAddress).toBe(
      'cloudflare',
    )
    for (const bad of ['Cloudflare', 'x-forwarded-for', '']) {
      expect(() => readSettings({ ...env, CLIENT_ADDRESS: bad } as Env)).toThrow(/CLIENT_ADDRESS/)
    }
    // The worker as deployed by default: changing the header buys nothing. The token endpoint
    // answers without the link (30 per 60 s per client address by default).
    const fetch = createFetchHandler()
    await freshWindow(60_000)
    const statuses: number[] = []
    for (let i = 0; i <= 30; i++) {
      const req = new Request(`${EDGE}/oauth2/token`, {
        method: 'POST',
        headers: { 'cf-connecting-ip': ipOf(), 'content-type': 'text/plain' },
        body: 'x',
      })
      statuses.push((await fetch(req, env, createExecutionContext())).status)
    }
    expect(statuses).toContain(429)
  })
})

describe('quotas count per verified caller or tenant, never per address', () => {
  it('RATE-307 a quota route without a token is 401 TOKEN_MISSING whatever the address; a forged subject header buys nothing', async () => {
    const { policy, host } = policyWith({ limit: 5, period: 10, quota: { limit: 2, period: 3600 } })
    const { send, link } = setup({ policy })
    const res = await send(`/${host}/q`, { 'cf-connecting-ip': ipOf(), 'x-user': 'alice' })
    expect(res.status).toBe(401)
    expect(await codeOf(res)).toBe('TOKEN_MISSING')
    expect(res.headers.get('www-authenticate')).toBe('Bearer')
    // A token that does not verify is refused before any count.
    const forged = await send(`/${host}/q`, bearer('eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.'))
    expect(forged.status).toBe(401)
    expect(link.sent).toHaveLength(0)
  })

  it('RATE-308 a subject quota follows the subject across addresses; two subjects from one address have their own', async () => {
    const now = Date.now()
    const { policy, host } = policyWith({
      limit: 5,
      period: 10,
      quota: { limit: 2, period: 3600, key: 'subject' },
    })
    const { send } = setup({ policy, now: () => now })
    const alice = await bearerToken([], `q-alice-${unique()}`)
    const bob = await bearerToken([], `q-bob-${unique()}`)
    await freshWindow()
    const statuses = []
    for (let i = 0; i < 3; i++) {
      statuses.push(
        (await send(`/${host}/q`, bearer(alice, { 'cf-connecting-ip': ipOf() }))).status,
      )
    }
    expect(statuses).toEqual([200, 200, 429])
    const ip = ipOf()
    expect((await send(`/${host}/q`, bearer(bob, { 'cf-connecting-ip': ip }))).status).toBe(200)
  })

  it('RATE-309 a tenant-claim quota is shared by the tenant; a missing claim or one of another type is 403, never an address or shared key', async () => {
    const now = Date.now()
    const { policy, host } = policyWith({
      limit: 5,
      period: 10,
      quota: { limit: 3, period: 3600, key: 'claim:org.id' },
    })
    const { send, link } = setup({ policy, now: () => now })
    const tenant = `acme-${unique()}`
    const a = await tokenWith({ org: { id: tenant } })
    const b = await tokenWith({ org: { id: tenant } })
    const other = await tokenWith({ org: { id: `globex-${unique()}` } })
    await freshWindow()
    expect((await send(`/${host}/q`, bearer(a))).status).toBe(200)
    expect((await send(`/${host}/q`, bearer(b))).status).toBe(200)
    expect((await send(`/${host}/q`, bearer(a))).status).toBe(200)
    const over = await send(`/${host}/q`, bearer(b))
    expect(over.status).toBe(429)
    expect(over.headers.get('ratelimit')).toMatch(/^"quota";r=0;t=\d+$/)
    expect((await send(`/${host}/q`, bearer(other))).status).toBe(200)
    const sent = link.sent.length
    for (const claims of [
      {},
      { org: {} },
      { org: { id: '' } },
      { org: { id: [tenant] } },
      { org: { id: true } },
      { org: { id: { name: tenant } } },
      { org: { id: 1.5 } },
      { org: { id: 'x'.repeat(257) } },
      { org: [{ id: tenant }] },
      { 'org.id': tenant },
    ]) {
      const res = await send(`/${host}/q`, bearer(await tokenWith(claims)))
      expect(res.status, JSON.stringify(claims)).toBe(403)
      expect(await codeOf(res)).toBe('CLAIMS_NOT_MET')
    }
    expect(link.sent).toHaveLength(sent)
    // An integer tenant is a tenant of its own, apart from the string of the same digits.
    const n = 100_000 + byte()
    const numeric = await tokenWith({ org: { id: n } })
    expect(await burst(() => send(`/${host}/q`, bearer(numeric)), 4)).toEqual([200, 200, 200, 429])
    const digits = await tokenWith({ org: { id: String(n) } })
    expect((await send(`/${host}/q`, bearer(digits))).status).toBe(200)
  })

  it('RATE-319 a subject as long as a token may carry is limited like any other (its key digested, never refused by the binding)', async () => {
    const { policy, host } = policyWith({ limit: 5, period: 10 })
    const { send } = setup({ policy })
    const long = await bearerToken([], `long-${unique()}-${'s'.repeat(240)}`)
    const other = await bearerToken([], `long-${unique()}-${'s'.repeat(240)}`)
    await freshWindow()
    expect(await burst(() => send(`/${host}/q`, bearer(long)), LIMIT + 1)).toEqual([
      ...Array(LIMIT).fill(200),
      429,
    ])
    expect((await send(`/${host}/q`, bearer(other))).status).toBe(200)
  })

  it('RATE-310 budgets are per host and per route: exhausting one route leaves another route and the same route of another host alone', async () => {
    const { policy, host, other } = policyWith({ limit: 5, period: 10 })
    const { send } = setup({ policy })
    await freshWindow()
    const ip = ipOf()
    const at = (path: string) => send(path, { 'cf-connecting-ip': ip })
    expect(await burst(() => at(`/${host}/q`), LIMIT + 1)).toEqual([...Array(LIMIT).fill(200), 429])
    expect((await at(`/${host}/r`)).status).toBe(200)
    expect((await at(`/${other}/q`)).status).toBe(200)
  })
})

describe('POST /oauth2/token per client address', () => {
  const form = (token: string) =>
    new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: token,
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    }).toString()
  const post = (send: ReturnType<typeof setup>['send'], ip: string, body: string, type?: string) =>
    send(
      '/oauth2/token',
      { 'cf-connecting-ip': ip, 'content-type': type ?? 'application/x-www-form-urlencoded' },
      { method: 'POST', body },
    )

  it('RATE-311 a flood of subject tokens from one address gets 429 EXCHANGE_RATE_LIMITED (error slow_down) with Retry-After before the body is read', async () => {
    // 5 per 10 s here (the binding wrangler.toml has); the config's default is 30 per 60 s.
    const { policy } = policyWith(
      { limit: 5, period: 10 },
      {
        tokenEndpointRateLimit: { limit: 5, period: 10 },
      },
    )
    const { send } = setup({ policy })
    await freshWindow()
    const p = prefix64()
    const statuses = []
    for (let i = 1; i <= LIMIT; i++) {
      statuses.push((await post(send, `${p}::${i}`, form(`garbage.${unique()}.x`))).status)
    }
    // Admitted (the endpoint itself refuses them: none is a token it exchanges).
    expect(statuses).not.toContain(429)
    // The same /64 is over its budget: 429 even for a body the endpoint would not parse.
    for (const [body, type] of [
      [form(`garbage.${unique()}.x`), undefined],
      ['{"not":"a form"}', 'application/json'],
      ['x'.repeat(40_000), undefined],
    ] as const) {
      const res = await post(send, `${p}::99`, body, type)
      expect(res.status).toBe(429)
      expect(res.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE)
      expect(res.headers.get('retry-after')).toBe('10')
      expect(res.headers.get('ratelimit')).toBe('"token";r=0;t=10')
      expect(res.headers.get('cache-control')).toBe('no-store')
      const problem = (await res.json()) as { code: string; error: string; requestId: string }
      expect(problem.code).toBe('EXCHANGE_RATE_LIMITED')
      expect(problem.error).toBe('slow_down')
      expect(problem.requestId).toBe(res.headers.get('x-request-id'))
    }
    // Another client is not affected.
    expect((await post(send, ipOf(), form('garbage.a.b'))).status).not.toBe(429)
  })

  it('RATE-312 the token endpoint limit comes from the config, 30 per 60 s by default, and the worker will not start without its binding', () => {
    const settings = readSettings(env)
    expect(settings.policy.tokenEndpointRateLimit).toEqual({ limit: 30, period: 60 })
    expect(() =>
      readSettings({ ...env, RATE_LIMIT_30_PER_60: undefined } as unknown as Env),
    ).toThrow(/RATE_LIMIT_30_PER_60/)
    const policy = { ...configuredPolicy(), tokenEndpointRateLimit: { limit: 7, period: 60 } }
    expect(() => readSettings({ ...env, POLICY: policy } as Env)).toThrow(/RATE_LIMIT_7_PER_60/)
    for (const bad of [{ limit: 0, period: 60 }, { limit: 5, period: 30 }, { limit: 5 }, 'x']) {
      const p = { ...configuredPolicy(), tokenEndpointRateLimit: bad }
      expect(() => readSettings({ ...env, POLICY: p } as Env)).toThrow(/tokenEndpointRateLimit/)
    }
  })
})
