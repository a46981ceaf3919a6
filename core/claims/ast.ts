/** The syntax tree of a parsed expression. Plain data plus compiled patterns; never code. */
import type { Program } from './pattern/index.js'

export type CompareOperator = '==' | '!=' | '<' | '<=' | '>' | '>='

/** `any(list)` holds when some member passes, `all(list)` when the list is non-empty and every member does. */
export type Quantifier = 'any' | 'all'

export type ClaimsNode =
  | { kind: 'literal'; value: string | number | boolean }
  | { kind: 'path'; segments: readonly string[] }
  /** `any(path)` or `all(path)`: only ever the left side of a comparison or a match. */
  | { kind: 'quantified'; quantifier: Quantifier; segments: readonly string[] }
  | { kind: 'not'; operand: ClaimsNode }
  | { kind: 'and'; operands: readonly ClaimsNode[] }
  | { kind: 'or'; operands: readonly ClaimsNode[] }
  | { kind: 'compare'; operator: CompareOperator; left: ClaimsNode; right: ClaimsNode }
  | { kind: 'match'; negate: boolean; subject: ClaimsNode; pattern: string; program: Program }

/** A parsed expression: its source text and its tree. Evaluate it with `evaluateClaims`. */
export interface ClaimsExpression {
  readonly source: string
  readonly root: ClaimsNode
}
