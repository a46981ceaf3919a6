/**
 * requiredClaims: the boolean expressions routes declare over an actor's claims
 * (`roles.orders || roles.admin`, `level > 5 && !guest`, `any(groups) == 'ops'`).
 * Parsed into a tree and interpreted; nothing is ever evaluated as code. See README.md.
 */
export type { ClaimsExpression, ClaimsNode, CompareOperator, Quantifier } from './ast.js'
export { CLAIMS_ERROR_CODES, ClaimsSyntaxError, type ClaimsErrorCode } from './errors.js'
export { CLAIMS_LIMITS } from './limits.js'
export { evaluateClaims, judgeClaims, type Truth } from './evaluate.js'
export { parseClaims } from './parser.js'
export { compileClaims, type ClaimsPredicate } from './compile.js'
