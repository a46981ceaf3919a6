/**
 * A route's rate limit (`x-portcullis-rate-limit`): a per-client limit over 10 or 60 seconds,
 * enforced at the edge by a Workers rate-limit binding, and optionally an exact per-tenant
 * quota over any period, counted in a Durable Object. A rate-limit binding has one fixed
 * limit and period, so every distinct (limit, period) pair the routes use is a binding of
 * its own, named by `rateLimitBinding`.
 */
import { GatewayError } from '../errors/index.js'

export const RATE_LIMIT_PERIODS = [10, 60] as const
export type RateLimitPeriod = (typeof RATE_LIMIT_PERIODS)[number]

/** Largest limit a route may set; keeps binding names and namespace ids short. */
export const MAX_RATE_LIMIT = 100_000
/** Longest quota period: one year, in seconds. */
export const MAX_QUOTA_PERIOD_SECONDS = 366 * 24 * 3600

export interface RouteRateLimit {
  limit: number
  period: RateLimitPeriod
  quota?: { limit: number; period: number }
}

function bad(where: string, what: string): GatewayError {
  return new GatewayError('INTERNAL_ERROR', {
    reason: `openapi: ${where}: x-portcullis-rate-limit: ${what}`,
  })
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function count(value: unknown, max: number): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0 && (value as number) <= max
}

/** Reads the extension's value; throws naming the operation (`where`) on anything else. */
export function readRateLimit(value: unknown, where: string): RouteRateLimit {
  if (!isRecord(value)) throw bad(where, 'must be an object { limit, period, quota? }')
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
    if (!isRecord(q)) throw bad(where, 'quota must be an object { limit, period }')
    const extraQ = Object.keys(q).filter((k) => !['limit', 'period'].includes(k))
    if (extraQ.length > 0) throw bad(where, `unknown field quota.${extraQ[0]}`)
    if (!count(q.limit, Number.MAX_SAFE_INTEGER)) {
      throw bad(where, 'quota.limit must be a positive integer')
    }
    if (!count(q.period, MAX_QUOTA_PERIOD_SECONDS)) {
      throw bad(where, `quota.period must be from 1 to ${MAX_QUOTA_PERIOD_SECONDS} seconds`)
    }
    out.quota = { limit: q.limit, period: q.period }
  }
  return out
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

/** The distinct (limit, period) pairs of a set of route tables, by binding name. */
export function rateLimitTiers(
  tables: Iterable<{ routes: Array<{ rateLimit?: RouteRateLimit }> }>,
): Array<{ binding: string; limit: number; period: RateLimitPeriod }> {
  const tiers = new Map<string, { binding: string; limit: number; period: RateLimitPeriod }>()
  for (const table of tables) {
    for (const { rateLimit } of table.routes) {
      if (!rateLimit) continue
      const binding = rateLimitBinding(rateLimit.limit, rateLimit.period)
      tiers.set(binding, { binding, limit: rateLimit.limit, period: rateLimit.period })
    }
  }
  return [...tiers.values()].sort((a, b) => a.binding.localeCompare(b.binding))
}
