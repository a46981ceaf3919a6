/**
 * The claims rule of the edge and the request validator alike: a route's `x-required-claims`
 * (core/claims) over the caller's claims. No caller on such a route is 401 TOKEN_MISSING,
 * claims that do not satisfy it 403 CLAIMS_NOT_MET. The edge gives it the claims of the
 * client's verified token after its provider's mapping; the validator those of the access
 * token minted from them.
 */
import { compileClaims, type ClaimsPredicate } from '../claims/index.js'
import { GatewayError } from '../errors/index.js'
import { TokenError } from '../tokens/index.js'

export type RequiredClaimsCheck = (rule: string | undefined, claims: unknown) => void

/**
 * A checker with its own cache of compiled rules (the route table's expressions were parsed
 * at start, so each compiles; there are as many as the documents have). `claims` undefined
 * means no caller.
 */
export function requiredClaimsCheck(): RequiredClaimsCheck {
  const compiled = new Map<string, ClaimsPredicate>()
  return (rule, claims) => {
    if (rule === undefined) return
    if (claims === undefined) throw new TokenError('TOKEN_MISSING', 'the route requires claims')
    let predicate = compiled.get(rule)
    if (!predicate) compiled.set(rule, (predicate = compileClaims(rule)))
    if (!predicate(claims)) {
      throw new GatewayError('CLAIMS_NOT_MET', { reason: 'required claims not met' })
    }
  }
}
