/**
 * Evaluates a parsed expression against an actor's claims. Total: every input gives a
 * boolean, and a missing, mistyped or hostile claim only ever makes the answer false.
 */
import type { ClaimsExpression, ClaimsNode, CompareOperator } from './ast.js'
import { CLAIMS_LIMITS } from './limits.js'
import { runPattern } from './pattern/index.js'

type Scalar = string | number | boolean

const isScalar = (v: unknown): v is Scalar =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Walks own properties only. On an array, a segment asks for membership: `roles.admin` is
 * true when the array holds the string 'admin', undefined when it does not. null counts as
 * missing.
 */
function lookup(claims: unknown, segments: readonly string[]): unknown {
  let current: unknown = claims
  for (const segment of segments) {
    if (Array.isArray(current)) current = current.includes(segment) ? true : undefined
    else if (isRecord(current) && Object.hasOwn(current, segment)) current = current[segment]
    else return undefined
    if (current === null) return undefined
  }
  return current
}

/** true, a non-empty string, a non-zero number, a non-empty array or object. */
function truthy(v: unknown): boolean {
  if (typeof v === 'boolean') return v
  if (typeof v === 'string') return v.length > 0
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v)
  if (Array.isArray(v)) return v.length > 0
  if (isRecord(v)) return Object.keys(v).length > 0
  return false
}

function contains(list: readonly unknown[], v: Scalar): boolean {
  for (const item of list) if (item === v) return true
  return false
}

/**
 * `==` for defined values: scalars by type and value, an array and a scalar by membership.
 * undefined when the two cannot be compared (a missing side, an object, two arrays), which
 * makes both == and != false.
 */
function equals(a: unknown, b: unknown): boolean | undefined {
  if (isScalar(a) && isScalar(b)) return a === b
  if (Array.isArray(a) && isScalar(b)) return contains(a, b)
  if (isScalar(a) && Array.isArray(b)) return contains(b, a)
  return undefined
}

function compare(operator: CompareOperator, a: unknown, b: unknown): boolean {
  if (operator === '==' || operator === '!=') {
    const eq = equals(a, b)
    if (eq === undefined) return false
    return operator === '==' ? eq : !eq
  }
  if (typeof a !== 'number' || typeof b !== 'number') return false
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false
  switch (operator) {
    case '<':
      return a < b
    case '<=':
      return a <= b
    case '>':
      return a > b
    case '>=':
      return a >= b
  }
}

/** true: matches, false: does not, undefined: not a string or longer than the limit. */
function matchOne(node: ClaimsNode & { kind: 'match' }, v: unknown): boolean | undefined {
  if (typeof v !== 'string' || v.length > CLAIMS_LIMITS.maxSubjectLength) return undefined
  return runPattern(node.program, v)
}

/**
 * A string matches or not. An array: =~ when some string member matches, !~ when none
 * does (an over-long member makes !~ false). Anything else: both false.
 */
function match(node: ClaimsNode & { kind: 'match' }, v: unknown): boolean {
  if (Array.isArray(v)) {
    let unknown = false
    for (const item of v) {
      if (typeof item !== 'string') continue
      const m = matchOne(node, item)
      if (m === true) return !node.negate
      if (m === undefined) unknown = true
    }
    return node.negate && !unknown
  }
  const m = matchOne(node, v)
  if (m === undefined) return false
  return node.negate ? !m : m
}

/** The value of a node: a claim, a literal, or the boolean of an operator. */
function value(node: ClaimsNode, claims: unknown): unknown {
  switch (node.kind) {
    case 'literal':
      return node.value
    case 'path':
      return lookup(claims, node.segments)
    default:
      return test(node, claims)
  }
}

function test(node: ClaimsNode, claims: unknown): boolean {
  switch (node.kind) {
    case 'literal':
    case 'path':
      return truthy(value(node, claims))
    case 'not':
      return !test(node.operand, claims)
    case 'and':
      return node.operands.every((n) => test(n, claims))
    case 'or':
      return node.operands.some((n) => test(n, claims))
    case 'compare':
      return compare(node.operator, value(node.left, claims), value(node.right, claims))
    case 'match':
      return match(node, value(node.subject, claims))
    default:
      return false
  }
}

/**
 * true when the claims satisfy the expression. Never throws: a claims object that throws
 * while being read (a getter, a revoked proxy) or a malformed expression gives false.
 */
export function evaluateClaims(expression: ClaimsExpression, claims: unknown): boolean {
  try {
    return test(expression.root, isRecord(claims) ? claims : undefined) === true
  } catch {
    return false
  }
}
