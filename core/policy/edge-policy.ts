/**
 * What the edge needs to decide on its own: deployment mode, limits and every host's
 * route table. Compiled on-prem from the one config file and handed to the worker as a
 * binding; the worker checks its shape once per isolate and refuses to serve without it.
 */
import { SetupError } from '../errors/index.js'
import { DEPLOYMENT_MODES, type DeploymentMode } from './ports.js'
import type { RouteTable } from './routes.js'
import { readTokenEndpointRateLimit, type RateLimitRule } from './rate-limit.js'
import { isSubjectToken } from '../subjects/index.js'
import { readIdentityProviders, type IdentityProviderConfig } from '../tokens/index.js'

export interface EdgeLimits {
  /** Longest URL accepted, in bytes (414 beyond). */
  maxUrlBytes: number
  /** Default body limit when a route does not set one (413 beyond). */
  maxBodyBytes: number
  /** Time a request may take end to end (504 beyond). */
  deadlineMs: number
}

/** Lifetimes and key-set timing of the edge's token steps. */
export interface EdgeTokenSettings {
  /** Lifetime of a minted access token (never beyond the caller's own token). */
  accessTtlSeconds: number
  clockSkewSeconds: number
  /** Pinned JWKS URLs of identity providers: at most one fetch per cooldown, and so on. */
  jwks: {
    cooldownSeconds: number
    refreshSeconds: number
    maxStaleSeconds: number
    fetchTimeoutMs: number
  }
}

export const EDGE_TOKEN_DEFAULTS: EdgeTokenSettings = {
  accessTtlSeconds: 60,
  clockSkewSeconds: 30,
  jwks: { cooldownSeconds: 30, refreshSeconds: 600, maxStaleSeconds: 86_400, fetchTimeoutMs: 5000 },
}

const TOKEN_RANGES = {
  accessTtlSeconds: [1, 900],
  clockSkewSeconds: [0, 300],
  cooldownSeconds: [1, 3600],
  refreshSeconds: [1, 86_400],
  maxStaleSeconds: [1, 30 * 86_400],
  fetchTimeoutMs: [100, 30_000],
} as const

export interface EdgePolicy {
  version: 1
  deployment: DeploymentMode
  limits: EdgeLimits
  hosts: Record<string, RouteTable>
  /** Defaults to EDGE_TOKEN_DEFAULTS. */
  tokens?: EdgeTokenSettings
  /** External issuers whose tokens the edge accepts, by provider name. */
  identityProviders?: Record<string, IdentityProviderConfig>
  /** `POST /oauth2/token` per client address; defaults to TOKEN_ENDPOINT_RATE_LIMIT_DEFAULT. */
  tokenEndpointRateLimit?: RateLimitRule
}

function fail(what: string): never {
  throw new SetupError('CONFIG_INVALID', `edge policy: ${what}`)
}

function positiveInt(value: unknown, what: string): number {
  if (!Number.isSafeInteger(value) || (value as number) <= 0)
    fail(`${what} must be a positive integer`)
  return value as number
}

/** Checks a policy received as untyped configuration. Throws a TypeError naming the field. */
export function readEdgePolicy(value: unknown): EdgePolicy {
  const p = (typeof value === 'string' ? JSON.parse(value) : value) as Partial<EdgePolicy> | null
  if (!p || typeof p !== 'object') fail('missing')
  if (p.version !== 1) fail('version must be 1')
  if (!DEPLOYMENT_MODES.includes(p.deployment as DeploymentMode))
    fail('deployment must be LAB or PROD')
  const limits = p.limits ?? fail('limits missing')
  positiveInt(limits.maxUrlBytes, 'limits.maxUrlBytes')
  positiveInt(limits.maxBodyBytes, 'limits.maxBodyBytes')
  positiveInt(limits.deadlineMs, 'limits.deadlineMs')
  if (!p.hosts || typeof p.hosts !== 'object') fail('hosts missing')
  for (const [name, table] of Object.entries(p.hosts)) {
    if (!isSubjectToken(name)) fail(`host name ${name} is not allowed`)
    if (!table || table.host !== name || !Array.isArray(table.routes))
      fail(`hosts.${name} is malformed`)
  }
  const tokens = readTokenSettings(p.tokens)
  try {
    readIdentityProviders(p.identityProviders, tokens.clockSkewSeconds)
  } catch (e) {
    fail((e as Error).message)
  }
  const tokenEndpointRateLimit = readTokenEndpointRateLimit(p.tokenEndpointRateLimit)
  return { ...(p as EdgePolicy), tokens, tokenEndpointRateLimit }
}

/** The policy's token settings, or the defaults for a policy that sets none. */
export function tokenSettingsOf(policy: EdgePolicy): EdgeTokenSettings {
  return policy.tokens ?? EDGE_TOKEN_DEFAULTS
}

function inRange(value: unknown, [min, max]: readonly [number, number], what: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    fail(`${what} must be an integer from ${min} to ${max}`)
  }
  return value as number
}

function readTokenSettings(value: unknown): EdgeTokenSettings {
  if (value === undefined) return EDGE_TOKEN_DEFAULTS
  const t = value as Partial<EdgeTokenSettings> | null
  if (!t || typeof t !== 'object' || !t.jwks || typeof t.jwks !== 'object') {
    fail('tokens must be { accessTtlSeconds, clockSkewSeconds, jwks }')
  }
  const r = TOKEN_RANGES
  return {
    accessTtlSeconds: inRange(t.accessTtlSeconds, r.accessTtlSeconds, 'tokens.accessTtlSeconds'),
    clockSkewSeconds: inRange(t.clockSkewSeconds, r.clockSkewSeconds, 'tokens.clockSkewSeconds'),
    jwks: {
      cooldownSeconds: inRange(
        t.jwks.cooldownSeconds,
        r.cooldownSeconds,
        'tokens.jwks.cooldownSeconds',
      ),
      refreshSeconds: inRange(
        t.jwks.refreshSeconds,
        r.refreshSeconds,
        'tokens.jwks.refreshSeconds',
      ),
      maxStaleSeconds: inRange(
        t.jwks.maxStaleSeconds,
        r.maxStaleSeconds,
        'tokens.jwks.maxStaleSeconds',
      ),
      fetchTimeoutMs: inRange(
        t.jwks.fetchTimeoutMs,
        r.fetchTimeoutMs,
        'tokens.jwks.fetchTimeoutMs',
      ),
    },
  }
}
