/**
 * The route's `x-portcullis-rate-limit`, after the bearer token step so the verified subject
 * can key it. The client is the token's issuer and subject when a valid token came, else the
 * address in `cf-connecting-ip` (set by Cloudflare, never by the client); `X-Forwarded-For`
 * and `X-Real-IP` are never read. A request with neither shares one `anonymous` budget.
 *
 * Two layers: the shield, a Workers rate-limit binding per (limit, period) keyed by route and
 * client (per location, approximate, cheap); then, where the route asks, the exact quota of
 * a Durable Object keyed by tenant and route. The shield fails open (an error is logged and
 * the request passes: it guards against floods, and the quota and the bus behind it still
 * hold); the quota fails closed (429: a route that asks for an exact quota gets one or none).
 */
import { createMiddleware } from 'hono/factory'
import { GatewayError, rateLimitBinding, type RouteRateLimit } from '../../core/index.js'
import type { IngressEnv } from './types.js'

/** A Workers rate-limit binding, as far as the ingress uses it. */
export interface Limiter {
  limit(options: { key: string }): Promise<{ success: boolean }>
}

export interface QuotaCounter {
  take(
    key: string,
    limit: number,
    periodSeconds: number,
    nowMs: number,
  ): Promise<{ allowed: boolean; remaining: number; resetSeconds: number }>
}

export interface RateLimits {
  /** The binding named `RATE_LIMIT_<limit>_PER_<period>`, when bound. */
  limiter(binding: string): Limiter | undefined
  quota?: QuotaCounter
}

/** Seconds a client waits when the quota could not be counted. */
const QUOTA_UNAVAILABLE_RETRY_SECONDS = 1

function clientKey(c: { get(key: 'caller'): IngressEnv['Variables']['caller'] }, headers: Headers) {
  const caller = c.get('caller')
  if (caller) return `sub:${JSON.stringify([caller.idp, caller.sub])}`
  const ip = headers.get('cf-connecting-ip')?.trim()
  return ip ? `ip:${ip}` : 'anonymous'
}

function policyHeader(rule: RouteRateLimit): string {
  const parts = [`"burst";q=${rule.limit};w=${rule.period}`]
  if (rule.quota) parts.push(`"quota";q=${rule.quota.limit};w=${rule.quota.period}`)
  return parts.join(', ')
}

function limited(
  rule: RouteRateLimit,
  policy: 'burst' | 'quota',
  retryAfter: number,
  reason: string,
): GatewayError {
  return new GatewayError('RATE_LIMITED', {
    reason,
    headers: {
      'retry-after': String(retryAfter),
      'ratelimit-policy': policyHeader(rule),
      ratelimit: `"${policy}";r=0;t=${retryAfter}`,
    },
  })
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

export function rateLimit(limits: RateLimits | undefined, now: () => number) {
  return createMiddleware<IngressEnv>(async (c, next) => {
    const route = c.get('route')
    const rule = route.rateLimit
    if (rule === undefined) return next()
    if (!limits) {
      throw new GatewayError('INTERNAL_ERROR', {
        reason: 'rate limited route, no rate limits bound',
      })
    }
    const key = `${c.get('target').host}|${route.operation}|${clientKey(c, c.req.raw.headers)}`
    const binding = rateLimitBinding(rule.limit, rule.period)
    const limiter = limits.limiter(binding)
    if (!limiter) throw new GatewayError('INTERNAL_ERROR', { reason: `binding ${binding} missing` })
    let shield: { success: boolean } | undefined
    try {
      shield = await limiter.limit({ key })
    } catch (e) {
      console.warn(
        JSON.stringify({ event: 'rate-limit-shield-failed', binding, reason: message(e) }),
      )
    }
    // The binding does not say when its window ends: a whole period is the upper bound.
    if (shield?.success === false) throw limited(rule, 'burst', rule.period, `${binding} exceeded`)
    if (rule.quota) {
      if (!limits.quota) throw new GatewayError('INTERNAL_ERROR', { reason: 'no quota bound' })
      const q = rule.quota
      let outcome: Awaited<ReturnType<QuotaCounter['take']>>
      try {
        outcome = await limits.quota.take(key, q.limit, q.period, now())
      } catch (e) {
        throw limited(rule, 'quota', QUOTA_UNAVAILABLE_RETRY_SECONDS, `quota: ${message(e)}`)
      }
      if (!outcome.allowed) throw limited(rule, 'quota', outcome.resetSeconds, 'quota exceeded')
      await next()
      c.res.headers.set('ratelimit-policy', policyHeader(rule))
      c.res.headers.set('ratelimit', `"quota";r=${outcome.remaining};t=${outcome.resetSeconds}`)
      return
    }
    await next()
    c.res.headers.set('ratelimit-policy', policyHeader(rule))
  })
}
