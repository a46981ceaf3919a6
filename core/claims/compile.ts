import type { ClaimsExpression } from './ast.js'
import { evaluateClaims } from './evaluate.js'
import { parseClaims } from './parser.js'

export type ClaimsPredicate = (claims: unknown) => boolean

/** Parses once (throws ClaimsSyntaxError), then answers per actor without throwing. */
export function compileClaims(source: string): ClaimsPredicate {
  const expression: ClaimsExpression = parseClaims(source)
  return (claims) => evaluateClaims(expression, claims)
}
