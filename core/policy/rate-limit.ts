/**
 * A route's rate limit (`x-portcullis-rate-limit`): a per-client limit over 10 or 60 seconds,
 * enforced at the edge by a Workers rate-limit binding, and optionally an exact quota over any
 * period, counted in a Durable Object. A rate-limit binding has one fixed limit and period, so
 * every distinct (limit, period) pair the routes use is a binding of its own, named by
 * `rateLimitBinding`; the token endpoint's limit (the edge policy's `tokenEndpointRateLimit`)
 * is one more.
 *
 * A quota counts per verified caller, never per address: `key` is `subject` (the default: the
 * token's issuer and subject) or `claim:<path>` (a tenant claim of the verified token, a
 * non-empty string or an integer). A route with a quota is refused to a caller without a
 * token; a token without the claim, or with one of another type, is refused too.
 */
import { SetupError } from '../errors/index.js'
import { EXTENSIONS } from './extensions.js'
import { isObject } from '../util/index.js'

export const RATE_LIMIT_PERIODS = [10, 60] as const
export type RateLimitPeriod = (typeof RATE_LIMIT_PERIODS)[number]

/** Largest limit a route may set; keeps binding names and namespace ids short. */
export const MAX_RATE_LIMIT = 100_000
/** Longest quota period: one year, in seconds. */
export const MAX_QUOTA_PERIOD_SECONDS = 366 * 24 * 3600

/** What a quota counts per: the verified caller, or the value of one of its claims. */
export type QuotaKey = { kind: 'subject' } | { kind: 'claim'; path: readonly string[] }

export interface RouteQuota {
  limit: number
  period: number
  /** Absent: `subject`. */
  key?: QuotaKey
}

export interface RouteRateLimit {
  limit: number
  period: RateLimitPeriod
  quota?: RouteQuota
}

/** A per-client limit without a quota: the token endpoint's. */
export interface RateLimitRule {
  limit: number
  period: RateLimitPeriod
}

/**
 * `POST /oauth2/token` per client address when the config sets nothing: enough for a client
 * that exchanges a token now and then (an office behind one address too), little for a flood.
 */
export const TOKEN_ENDPOINT_RATE_LIMIT_DEFAULT: RateLimitRule = { limit: 30, period: 60 }

/** Longest tenant claim value a quota keys by; longer values are refused, not cut. */
export const MAX_TENANT_CLAIM_LENGTH = 256

/** Claim path segments: as in claim rules, never a prototype key. */
const CLAIM_SEGMENT = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype'])
const MAX_CLAIM_DEPTH = 8

function bad(where: string, what: string): SetupError {
  return new SetupError('POLICY_INVALID', `openapi: ${where}: ${EXTENSIONS.rateLimit}: ${what}`)
}

function count(value: unknown, max: number): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0 && (value as number) <= max
}

/** Reads the extension's value; throws naming the operation (`where`) on anything else. */
export function readRateLimit(value: unknown, where: string): RouteRateLimit {
  if (!isObject(value)) throw bad(where, 'must be an object { limit, period, quota? }')
  const extra = Object.keys(value).filter((k) => !['limit', 'period', 'quota'].includes(k))
  if (extra.length > 0) throw bad(where, `unknown field ${extra[0]}`)
  if (!count(value.limit, MAX_RATE_LIMIT)) {
    throw bad(where, `limit must be an integer from 1 to ${MAX_RATE_LIMIT}`)
  }
  if (!RATE_LIMIT_PERIODS.includes(value.period as RateLimitPeriod)) {
    throw bad(where, 'period must be 10 or 60 (seconds)')
  }
  const out: RouteRateLimit = { limit: value.limit, period: value.period as RateLimitPeriod }
  if (value.quota !== undefined) {
    const q = value.quota
    if (!isObject(q)) throw bad(where, 'quota must be an object { limit, period }')
    const extraQ = Object.keys(q).filter((k) => !['limit', 'period', 'key'].includes(k))
    if (extraQ.length > 0) throw bad(where, `unknown field quota.${extraQ[0]}`)
    if (!count(q.limit, Number.MAX_SAFE_INTEGER)) {
      throw bad(where, 'quota.limit must be a positive integer')
    }
    if (!count(q.period, MAX_QUOTA_PERIOD_SECONDS)) {
      throw bad(where, `quota.period must be from 1 to ${MAX_QUOTA_PERIOD_SECONDS} seconds`)
    }
    out.quota = { limit: q.limit, period: q.period }
    if (q.key !== undefined) out.quota.key = readQuotaKey(q.key, where)
  }
  return out
}

/** `subject` or `claim:<path>` (dot-separated claim names, e.g. `claim:org.id`). */
function readQuotaKey(value: unknown, where: string): QuotaKey {
  if (value === 'subject') return { kind: 'subject' }
  if (typeof value === 'string' && value.startsWith('claim:')) {
    const path = value.slice('claim:'.length).split('.')
    const ok =
      path.length <= MAX_CLAIM_DEPTH &&
      path.every((s) => CLAIM_SEGMENT.test(s) && !FORBIDDEN_SEGMENTS.has(s))
    if (ok) return { kind: 'claim', path }
  }
  throw bad(where, "quota.key must be 'subject' or 'claim:<name>[.<name>...]'")
}

/**
 * The edge policy's `tokenEndpointRateLimit`, or the default when absent. Throws naming the
 * field (CONFIG_INVALID), as the rest of the edge policy's reader does.
 */
export function readTokenEndpointRateLimit(value: unknown): RateLimitRule {
  if (value === undefined) return TOKEN_ENDPOINT_RATE_LIMIT_DEFAULT
  const refused = new SetupError(
    'CONFIG_INVALID',
    'edge policy: tokenEndpointRateLimit must be { limit: 1 to 100000, period: 10 or 60 }',
    { key: 'edge.tokenEndpointRateLimit' },
  )
  if (!isObject(value) || Object.keys(value).some((k) => k !== 'limit' && k !== 'period')) {
    throw refused
  }
  if (!count(value.limit, MAX_RATE_LIMIT)) throw refused
  if (!RATE_LIMIT_PERIODS.includes(value.period as RateLimitPeriod)) throw refused
  return { limit: value.limit, period: value.period as RateLimitPeriod }
}

/** The name of the rate-limit binding that enforces `limit` per `period` seconds. */
export function rateLimitBinding(limit: number, period: RateLimitPeriod): string {
  return `RATE_LIMIT_${limit}_PER_${period}`
}

/**
 * The binding's `namespace_id` in generated configs: unique per (limit, period), so two
 * limits never share counters. A deployment may choose its own.
 */
export function rateLimitNamespaceId(limit: number, period: RateLimitPeriod): string {
  return String(period * 1_000_000 + limit)
}

/** The distinct (limit, period) pairs of a set of route tables (and `extra` rules), by binding name. */
export function rateLimitTiers(
  tables: Iterable<{ routes: Array<{ rateLimit?: RouteRateLimit }> }>,
  extra: readonly RateLimitRule[] = [],
): Array<{ binding: string; limit: number; period: RateLimitPeriod }> {
  const tiers = new Map<string, { binding: string; limit: number; period: RateLimitPeriod }>()
  const add = ({ limit, period }: RateLimitRule) =>
    tiers.set(rateLimitBinding(limit, period), {
      binding: rateLimitBinding(limit, period),
      limit,
      period,
    })
  for (const table of tables) {
    for (const { rateLimit } of table.routes) if (rateLimit) add(rateLimit)
  }
  extra.forEach(add)
  return [...tiers.values()].sort((a, b) => a.binding.localeCompare(b.binding))
}

/** Every rate-limit binding an edge with this policy needs: the routes' and the token endpoint's. */
export function edgeRateLimitTiers(policy: {
  hosts: Record<string, { routes: Array<{ rateLimit?: RouteRateLimit }> }>
  tokenEndpointRateLimit?: RateLimitRule
}): Array<{ binding: string; limit: number; period: RateLimitPeriod }> {
  const token = policy.tokenEndpointRateLimit ?? TOKEN_ENDPOINT_RATE_LIMIT_DEFAULT
  return rateLimitTiers(Object.values(policy.hosts), [token])
}
