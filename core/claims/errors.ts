/** The stable codes of a refused expression; tests and callers switch on these. */
export const CLAIMS_ERROR_CODES = [
  'EMPTY',
  'TOO_LONG',
  'TOO_DEEP',
  'TOO_MANY_NODES',
  'UNEXPECTED_CHARACTER',
  'UNTERMINATED_STRING',
  'BAD_NUMBER',
  'BAD_PATH',
  'FORBIDDEN_PATH_SEGMENT',
  'UNEXPECTED_TOKEN',
  'UNEXPECTED_END',
  'CHAINED_COMPARISON',
  'PATTERN_NOT_LITERAL',
  'PATTERN_INVALID',
  'PATTERN_TOO_COMPLEX',
  'NOT_A_CONDITION',
  'QUANTIFIER_MISPLACED',
  'ROLES_IS_A_LIST',
] as const

export type ClaimsErrorCode = (typeof CLAIMS_ERROR_CODES)[number]

/**
 * A refused expression. `position` is the index (UTF-16 code unit, from 0) in the source where
 * the problem starts; for a pattern problem it is the opening quote of the pattern's string.
 */
export class ClaimsSyntaxError extends Error {
  readonly code: ClaimsErrorCode
  readonly position: number

  constructor(code: ClaimsErrorCode, position: number, reason: string) {
    super(`${reason} at position ${position}`)
    this.name = 'ClaimsSyntaxError'
    this.code = code
    this.position = position
  }
}
