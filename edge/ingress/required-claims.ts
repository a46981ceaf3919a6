/**
 * The route's `x-required-claims` over the caller's claims (a bearer token's, or an external
 * token's after its provider's mapping: the same claims the access token will carry): no
 * token on such a route is 401 TOKEN_MISSING (with `WWW-Authenticate: Bearer`), claims that
 * do not satisfy it 403 CLAIMS_NOT_MET. The rule is core's `requiredClaimsCheck`, which the
 * request validator applies again on-prem.
 */
import { createMiddleware } from 'hono/factory'
import { requiredClaimsCheck } from '../../core/index.js'
import type { IngressEnv } from './types.js'

export function requiredClaims() {
  const requireClaims = requiredClaimsCheck()
  return createMiddleware<IngressEnv>(async (c, next) => {
    requireClaims(c.get('route').requiredClaims, c.get('caller')?.claims)
    await next()
  })
}
