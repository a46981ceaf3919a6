/**
 * Evaluates a parsed expression against an actor's claims. Strict about types: a bare claim
 * is true only for boolean `true`, comparisons are between two values of one type, and a
 * list is compared or matched only through `any(...)` / `all(...)` (or, for the gateway's own
 * `roles`, `roles.<name>`). A value of the wrong type makes its test *unknown*, and unknown
 * is never true: `!` keeps it unknown, `&&` / `||` follow three-valued (Kleene) logic, and
 * the answer is true only when the expression is true. Total: every input gives a boolean.
 */
import type { ClaimsExpression, ClaimsNode, CompareOperator, Quantifier } from './ast.js'
import { isObject } from '../util/index.js'
import { CLAIMS_LIMITS } from './limits.js'
import { runPattern } from './pattern/index.js'

/** true, false, or undefined: unknown, because a value had the wrong type. */
export type Truth = boolean | undefined

/** An absent claim, or JSON null: fails every test, and `!` makes it true. */
const MISSING: unique symbol = Symbol('missing')
/** A path that runs through a value of the wrong type (a list, a string): unknown. */
const WRONG: unique symbol = Symbol('wrong')

type Scalar = string | number | boolean

/** Strings, booleans and finite numbers; NaN and the infinities never come from JSON. */
const isScalar = (v: unknown): v is Scalar =>
  typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))

const present = (v: unknown): unknown => (v === null || v === undefined ? MISSING : v)

/**
 * `roles.<name>`: the gateway mints `roles` as a list of role names, so a segment on it asks
 * for membership. true when the list holds the name, false when it does not; missing without
 * a `roles` claim; unknown when `roles` is not a list or holds something other than names.
 */
function role(claims: Record<string, unknown> | undefined, name: string): unknown {
  const roles = claims && Object.hasOwn(claims, 'roles') ? present(claims.roles) : MISSING
  if (roles === MISSING) return MISSING
  if (!Array.isArray(roles)) return WRONG
  let wrong = false
  for (const r of roles) {
    if (r === name) return true
    if (typeof r !== 'string') wrong = true
  }
  return wrong ? WRONG : false
}

/**
 * Walks own properties of objects only. A missing member (or null) is MISSING; a segment on a
 * list (other than the reserved `roles`) or on a scalar is WRONG: `org.admin` never asks
 * whether the list `org` holds 'admin'.
 */
function lookup(claims: Record<string, unknown> | undefined, segments: readonly string[]): unknown {
  if (segments.length === 2 && segments[0] === 'roles') return role(claims, segments[1]!)
  let current: unknown = claims ?? MISSING
  for (const segment of segments) {
    if (current === MISSING) return MISSING
    if (!isObject(current)) return WRONG
    current = Object.hasOwn(current, segment) ? present(current[segment]) : MISSING
  }
  return current
}

/** A bare value as a condition: boolean true, false or missing; anything else is unknown. */
function truth(v: unknown): Truth {
  if (v === true) return true
  if (v === false || v === MISSING) return false
  return undefined
}

/**
 * Two values, without coercion. Unknown when either side has the wrong type (a list, an
 * object, a WRONG path) or the two are of different types; otherwise false when either side
 * is missing; `<` `<=` `>` `>=` only between numbers.
 */
function compare(operator: CompareOperator, a: unknown, b: unknown): Truth {
  const sa = a === MISSING || isScalar(a)
  const sb = b === MISSING || isScalar(b)
  if (!sa || !sb) return undefined
  if (a === MISSING || b === MISSING) return false
  if (typeof a !== typeof b) return undefined
  switch (operator) {
    case '==':
      return a === b
    case '!=':
      return a !== b
  }
  if (typeof a !== 'number' || typeof b !== 'number') return undefined
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

/** A string up to the subject limit matches or not; missing is false; anything else unknown. */
function match(node: ClaimsNode & { kind: 'match' }, v: unknown): Truth {
  if (v === MISSING) return false
  if (typeof v !== 'string' || v.length > CLAIMS_LIMITS.maxSubjectLength) return undefined
  const m = runPattern(node.program, v)
  return node.negate ? !m : m
}

/**
 * `any(list) op x` / `all(list) op x`: the member test for each member. any: true when one is
 * true; all: false on an empty list, and when one is false. Otherwise unknown if one member
 * was unknown, else false (any) or true (all). Missing is false; not a list, unknown.
 */
function quantify(quantifier: Quantifier, list: unknown, member: (item: unknown) => Truth): Truth {
  if (list === MISSING) return false
  if (!Array.isArray(list)) return undefined
  if (list.length === 0) return false
  const decisive = quantifier === 'any'
  let unknown = false
  for (const item of list) {
    const t = member(present(item))
    if (t === decisive) return decisive
    if (t === undefined) unknown = true
  }
  return unknown ? undefined : !decisive
}

/** The value of an operand: a claim, a literal, or the truth of a condition. */
function value(node: ClaimsNode, claims: Record<string, unknown> | undefined): unknown {
  switch (node.kind) {
    case 'literal':
      return node.value
    case 'path':
      return lookup(claims, node.segments)
    case 'quantified':
      return WRONG
    default:
      return test(node, claims) ?? WRONG
  }
}

/** Kleene `&&` (every: true) and `||` (every: false). */
function connect(
  operands: readonly ClaimsNode[],
  claims: Record<string, unknown> | undefined,
  decisive: boolean,
): Truth {
  let unknown = false
  for (const operand of operands) {
    const t = test(operand, claims)
    if (t === decisive) return decisive
    if (t === undefined) unknown = true
  }
  return unknown ? undefined : !decisive
}

function test(node: ClaimsNode, claims: Record<string, unknown> | undefined): Truth {
  switch (node.kind) {
    case 'literal':
    case 'path':
      return truth(value(node, claims))
    case 'not': {
      const t = test(node.operand, claims)
      return t === undefined ? undefined : !t
    }
    case 'and':
      return connect(node.operands, claims, false)
    case 'or':
      return connect(node.operands, claims, true)
    case 'compare': {
      const { left, operator } = node
      const right = value(node.right, claims)
      if (left.kind !== 'quantified') return compare(operator, value(left, claims), right)
      return quantify(left.quantifier, lookup(claims, left.segments), (item) =>
        compare(operator, item, right),
      )
    }
    case 'match': {
      const { subject } = node
      if (subject.kind !== 'quantified') return match(node, value(subject, claims))
      return quantify(subject.quantifier, lookup(claims, subject.segments), (item) =>
        match(node, item),
      )
    }
    default:
      return undefined
  }
}

/**
 * The three-valued answer: true, false, or undefined when a value of the wrong type decided
 * it. Never throws: claims that throw while being read, or a malformed expression, give
 * undefined.
 */
export function judgeClaims(expression: ClaimsExpression, claims: unknown): Truth {
  try {
    return test(expression.root, isObject(claims) ? claims : undefined)
  } catch {
    return undefined
  }
}

/** true when the claims satisfy the expression; false when not, or when unknown. */
export function evaluateClaims(expression: ClaimsExpression, claims: unknown): boolean {
  return judgeClaims(expression, claims) === true
}
