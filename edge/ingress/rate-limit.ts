/**
 * Rate limits at the edge: the route's `x-portcullis-rate-limit`, and the token endpoint's
 * limit per client address.
 *
 * A route's limit runs after the bearer token step, so only a verified token keys it: the
 * shield (a Workers rate-limit binding per (limit, period); per location, approximate, cheap)
 * counts per verified caller (issuer and subject), else per client address bucket
 * (`client-address.ts`: an IPv4 address, an IPv6 /64, or one shared bucket where the address
 * cannot be believed). The exact quota of a Durable Object counts per verified caller or per
 * tenant claim of the verified token, never per address: a quota route refuses a request
 * without a token (401) and a token without the tenant claim (403). Every key names the host
 * and the route, so routes sharing a binding do not share budgets.
 *
 * The shield fails open (an error is logged and the request passes: it guards against
 * floods, and the quota and the bus behind it still hold); the quota fails closed (429: a
 * route that asks for an exact quota gets one or none).
 *
 * `POST /oauth2/token` is limited per client address before anything else about the request
 * is read, so a flood of subject tokens costs no verification.
 */
import { createMiddleware } from 'hono/factory'
import {
  failureReason,
  GatewayError,
  isObject,
  MAX_TENANT_CLAIM_LENGTH,
  rateLimitBinding,
  sha256Hex,
  TokenError,
  type QuotaKey,
  type RateLimitRule,
  type RouteRateLimit,
} from '../../core/index.js'
import { clientAddressBucket, type ClientAddressSource } from './client-address.js'
import type { Caller, IngressEnv } from './types.js'

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

/** The shield's client: the verified caller, else the address bucket. */
function clientOf(caller: Caller | undefined, headers: Headers, source: ClientAddressSource) {
  return caller ? ['sub', caller.idp, caller.sub] : ['addr', clientAddressBucket(headers, source)]
}

/** The value at `path` in the verified claims, own properties only. */
function claimAt(claims: Record<string, unknown>, path: readonly string[]): unknown {
  let value: unknown = claims
  for (const segment of path) {
    if (!isObject(value) || !Object.hasOwn(value, segment)) return undefined
    value = value[segment]
  }
  return value
}

/**
 * The quota's tenant: the verified caller, or its tenant claim (a non-empty string or an
 * integer, under the caller's issuer so two providers' tenants never meet).
 */
function tenantOf(key: QuotaKey | undefined, caller: Caller | undefined): unknown[] {
  if (!caller) throw new TokenError('TOKEN_MISSING', 'the route counts a quota per caller')
  if (key === undefined || key.kind === 'subject') return ['sub', caller.idp, caller.sub]
  const value = claimAt(caller.claims, key.path)
  const usable =
    (typeof value === 'string' && value.length > 0 && value.length <= MAX_TENANT_CLAIM_LENGTH) ||
    Number.isSafeInteger(value)
  if (!usable) {
    throw new GatewayError('CLAIMS_NOT_MET', {
      reason: `quota tenant claim ${key.path.join('.')} missing or not a string or integer`,
    })
  }
  return ['claim', key.path.join('.'), caller.idp, value]
}

function policyHeader(rule: RouteRateLimit): string {
  const parts = [`"burst";q=${rule.limit};w=${rule.period}`]
  if (rule.quota) parts.push(`"quota";q=${rule.quota.limit};w=${rule.quota.period}`)
  return parts.join(', ')
}

function limited(
  code: 'RATE_LIMITED' | 'EXCHANGE_RATE_LIMITED',
  policyHeaderValue: string,
  policy: 'burst' | 'quota' | 'token',
  retryAfter: number,
  reason: string,
): GatewayError {
  return new GatewayError(code, {
    reason,
    headers: {
      'retry-after': String(retryAfter),
      'ratelimit-policy': policyHeaderValue,
      ratelimit: `"${policy}";r=0;t=${retryAfter}`,
    },
  })
}

/** Keys longer than this (a long subject or tenant) are counted under their SHA-256. */
const MAX_PLAIN_KEY_LENGTH = 256

/**
 * The key as the binding gets it: short keys as they are, long ones digested, so no subject
 * can make the binding refuse its key and the shield, which fails open, let it pass.
 */
async function boundedKey(key: string): Promise<string> {
  if (key.length <= MAX_PLAIN_KEY_LENGTH) return key
  return `sha256:${await sha256Hex(key)}`
}

/** Asks the shield; undefined when the binding failed (open: logged, the request passes). */
async function askShield(limiter: Limiter, binding: string, key: string) {
  try {
    return await limiter.limit({ key: await boundedKey(key) })
  } catch (e) {
    console.warn(
      JSON.stringify({ event: 'rate-limit-shield-failed', binding, reason: failureReason(e) }),
    )
    return undefined
  }
}

function limiterOf(limits: RateLimits, binding: string): Limiter {
  const limiter = limits.limiter(binding)
  if (!limiter) throw new GatewayError('INTERNAL_ERROR', { reason: `binding ${binding} missing` })
  return limiter
}

export function rateLimit(
  limits: RateLimits | undefined,
  now: () => number,
  source: ClientAddressSource = 'local',
) {
  return createMiddleware<IngressEnv>(async (c, next) => {
    const route = c.get('route')
    const rule = route.rateLimit
    if (rule === undefined) return next()
    if (!limits) {
      throw new GatewayError('INTERNAL_ERROR', {
        reason: 'rate limited route, no rate limits bound',
      })
    }
    const scope = [c.get('target').host, route.operation]
    const caller = c.get('caller')
    const binding = rateLimitBinding(rule.limit, rule.period)
    const limiter = limiterOf(limits, binding)
    const shieldKey = JSON.stringify([...scope, ...clientOf(caller, c.req.raw.headers, source)])
    const shield = await askShield(limiter, binding, shieldKey)
    // The binding does not say when its window ends: a whole period is the upper bound.
    if (shield?.success === false) {
      throw limited('RATE_LIMITED', policyHeader(rule), 'burst', rule.period, `${binding} exceeded`)
    }
    if (rule.quota) {
      if (!limits.quota) throw new GatewayError('INTERNAL_ERROR', { reason: 'no quota bound' })
      const q = rule.quota
      const quotaKey = JSON.stringify([...scope, ...tenantOf(q.key, caller)])
      let outcome: Awaited<ReturnType<QuotaCounter['take']>>
      try {
        outcome = await limits.quota.take(quotaKey, q.limit, q.period, now())
      } catch (e) {
        const reason = `quota: ${failureReason(e)}`
        throw limited(
          'RATE_LIMITED',
          policyHeader(rule),
          'quota',
          QUOTA_UNAVAILABLE_RETRY_SECONDS,
          reason,
        )
      }
      if (!outcome.allowed) {
        const reason = 'quota exceeded'
        throw limited('RATE_LIMITED', policyHeader(rule), 'quota', outcome.resetSeconds, reason)
      }
      await next()
      c.res.headers.set('ratelimit-policy', policyHeader(rule))
      c.res.headers.set('ratelimit', `"quota";r=${outcome.remaining};t=${outcome.resetSeconds}`)
      return
    }
    await next()
    c.res.headers.set('ratelimit-policy', policyHeader(rule))
  })
}

/** The key prefix of the token endpoint's counts in a binding routes may share. */
const TOKEN_ENDPOINT_SCOPE = '/oauth2/token'

/**
 * `POST /oauth2/token` per client address (never per subject: the subject token is what a
 * flood would make the edge verify). 429 `EXCHANGE_RATE_LIMITED` carries the RFC 6749-style
 * `error` (`slow_down`) with `Retry-After`. Without `limits` (tests of the endpoint alone)
 * nothing is counted; the worker always passes them and refuses to start without the binding.
 */
export function tokenEndpointRateLimit(
  limits: RateLimits | undefined,
  rule: RateLimitRule,
  source: ClientAddressSource = 'local',
) {
  const binding = rateLimitBinding(rule.limit, rule.period)
  const policy = `"token";q=${rule.limit};w=${rule.period}`
  return createMiddleware<IngressEnv>(async (c, next) => {
    if (!limits) return next()
    const limiter = limiterOf(limits, binding)
    const key = JSON.stringify([
      TOKEN_ENDPOINT_SCOPE,
      'addr',
      clientAddressBucket(c.req.raw.headers, source),
    ])
    const shield = await askShield(limiter, binding, key)
    if (shield?.success === false) {
      const reason = `token endpoint: ${binding} exceeded`
      throw limited('EXCHANGE_RATE_LIMITED', policy, 'token', rule.period, reason)
    }
    await next()
  })
}
