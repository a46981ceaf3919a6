/**
 * The route's `x-required-claims` over the caller's claims (a bearer token's, or an external
 * token's after its provider's mapping: the same claims the access token will carry): no token on such a
 * route is 401 TOKEN_MISSING (with `WWW-Authenticate: Bearer`), claims that do not satisfy
 * it 403 CLAIMS_NOT_MET. The request validator checks the same rule again on-prem.
 */
import { createMiddleware } from 'hono/factory'
import { compileClaims, GatewayError, TokenError, type ClaimsPredicate } from '../../core/index.js'
import type { IngressEnv } from './types.js'

export function requiredClaims() {
  // The policy was checked at start, so every expression here compiles.
  const compiled = new Map<string, ClaimsPredicate>()
  const predicateOf = (source: string) => {
    let p = compiled.get(source)
    if (!p) compiled.set(source, (p = compileClaims(source)))
    return p
  }
  return createMiddleware<IngressEnv>(async (c, next) => {
    const rule = c.get('route').requiredClaims
    if (rule !== undefined) {
      const caller = c.get('caller')
      if (!caller) throw new TokenError('TOKEN_MISSING', 'the route requires claims')
      if (!predicateOf(rule)(caller.claims)) {
        throw new GatewayError('CLAIMS_NOT_MET', { reason: 'required claims not met' })
      }
    }
    await next()
  })
}
