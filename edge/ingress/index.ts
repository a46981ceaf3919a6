/**
 * The ingress: a Hono app that runs the edge's checks in order and forwards what passes
 * over the link (`app.ts`).
 */
export { createIngress } from './app.js'
export type { Caller, IngressEnv, IngressOptions, Link, Target } from './types.js'
export type { EdgeAudit, EdgeAuditEvent } from './audit-trail.js'
export type { AccessTokens, BearerTokens, TokenServices } from '../../core/index.js'
export type { Limiter, QuotaCounter, RateLimits } from './rate-limit.js'
export { CLIENT_ADDRESS_SOURCES, type ClientAddressSource } from './client-address.js'
export { problemResponse } from './problem.js'
