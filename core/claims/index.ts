/**
 * requiredClaims: the boolean expressions routes declare over an actor's claims
 * (`roles.orders || roles.admin`, `level > 5 && !guest`, `any(groups) == 'ops'`).
 * Parsed into a tree and interpreted; nothing is ever evaluated as code. See README.md.
 */
import type { ClaimsExpression } from './ast.js'
import { evaluateClaims, judgeClaims, type Truth } from './evaluate.js'
import { parseClaims } from './parser.js'

export type { ClaimsExpression, ClaimsNode, CompareOperator, Quantifier } from './ast.js'
export { CLAIMS_ERROR_CODES, ClaimsSyntaxError, type ClaimsErrorCode } from './errors.js'
export { CLAIMS_LIMITS } from './limits.js'
export { evaluateClaims, judgeClaims, parseClaims, type Truth }

export type ClaimsPredicate = (claims: unknown) => boolean

/** Parses once (throws ClaimsSyntaxError), then answers per actor without throwing. */
export function compileClaims(source: string): ClaimsPredicate {
  const expression: ClaimsExpression = parseClaims(source)
  return (claims) => evaluateClaims(expression, claims)
}
