/**
 * The `=~` pattern language: RE2 syntax, through re2js. RE2 matches in time linear in the
 * subject and refuses what would need backtracking (backreferences, lookaround), so no
 * pattern an operator writes can be made to run away by a claim value. A pattern is
 * compiled once, when its expression is parsed.
 */
import { RE2JS } from 're2js'
import { failureReason } from '../../errors/index.js'
import { CLAIMS_LIMITS } from '../limits.js'

export type PatternErrorCode = 'PATTERN_INVALID' | 'PATTERN_TOO_COMPLEX'

export class PatternError extends Error {
  constructor(
    readonly code: PatternErrorCode,
    /** Offset in the pattern where the problem is, when known (else 0). */
    readonly offset: number,
    message: string,
  ) {
    super(message)
    this.name = 'PatternError'
  }
}

export interface Program {
  /** What the pattern counts against the expression's budget: its length. */
  readonly size: number
  readonly re: RE2JS
}

/** Compiles a pattern; throws PatternError when it is refused. */
export function buildPattern(pattern: string): Program {
  if (pattern.length > CLAIMS_LIMITS.maxPatternLength) {
    throw new PatternError(
      'PATTERN_TOO_COMPLEX',
      CLAIMS_LIMITS.maxPatternLength,
      `longer than ${CLAIMS_LIMITS.maxPatternLength} characters`,
    )
  }
  try {
    return { size: pattern.length, re: RE2JS.compile(pattern) }
  } catch (e) {
    throw new PatternError('PATTERN_INVALID', 0, failureReason(e).slice(0, 120))
  }
}

/** Whether the pattern matches anywhere in `subject` (like RegExp#test). */
export function runPattern(program: Program, subject: string): boolean {
  return program.re.matcher(subject).find()
}
