/** Every bound of the claims language in one place. A violation is a parse error. */
export const CLAIMS_LIMITS = {
  /** Characters (UTF-16 code units) of an expression. */
  maxSourceLength: 1_000,
  /** Nesting of parentheses and `!`. */
  maxDepth: 32,
  /** Syntax tree nodes (paths, literals, operators). */
  maxNodes: 256,
  /** Characters of one regular expression, after the string literal is read. */
  maxPatternLength: 256,
  /** Longer strings never match `=~` or `!~` (both are false). */
  maxSubjectLength: 1_024,
} as const
