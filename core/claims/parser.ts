/**
 * Recursive descent over the tokens. Precedence, loosest first:
 *   or:      and ('||' and)*
 *   and:     unary ('&&' unary)*
 *   unary:   '!' unary | compare
 *   compare: quantified (op operand) | operand (op operand)?   op: == != < <= > >= =~ !~
 *   quantified: ('any' | 'all') '(' path ')'
 *   operand: path | string | number | true | false | '(' or ')'
 * Recursion happens only through '(' and '!', which count against the depth limit.
 * Refused beyond the grammar: a string or number where a condition is expected
 * (NOT_A_CONDITION), a quantifier anywhere but left of an operator (QUANTIFIER_MISPLACED),
 * and the reserved list `roles` used whole or deeper than one name (ROLES_IS_A_LIST).
 */
import type { ClaimsExpression, ClaimsNode, CompareOperator, Quantifier } from './ast.js'
import { ClaimsSyntaxError } from './errors.js'
import { tokenize, type Operator, type Token } from './lexer.js'
import { CLAIMS_LIMITS } from './limits.js'
import { buildPattern, PatternError, type Program } from './pattern/index.js'

const COMPARE: ReadonlySet<Operator> = new Set(['==', '!=', '<', '<=', '>', '>=', '=~', '!~'])

/** Parses an expression; throws ClaimsSyntaxError (with a position and a code) when refused. */
export function parseClaims(source: string): ClaimsExpression {
  if (typeof source !== 'string') {
    throw new ClaimsSyntaxError('EMPTY', 0, 'an expression must be a string')
  }
  if (source.length > CLAIMS_LIMITS.maxSourceLength) {
    throw new ClaimsSyntaxError(
      'TOO_LONG',
      CLAIMS_LIMITS.maxSourceLength,
      `an expression has at most ${CLAIMS_LIMITS.maxSourceLength} characters`,
    )
  }
  const tokens = tokenize(source)
  if (tokens.length === 1) throw new ClaimsSyntaxError('EMPTY', 0, 'empty expression')
  const root = new Parser(tokens).parse()
  return { source, root }
}

class Parser {
  private i = 0
  private depth = 0
  private nodes = 0

  constructor(private readonly tokens: Token[]) {}

  parse(): ClaimsNode {
    const root = this.condition(() => this.or())
    const t = this.peek()
    if (t.kind !== 'end') this.unexpected(t)
    return root
  }

  /**
   * A node used as a condition (the whole expression, an operand of `&&`, `||` or `!`): a
   * string or number there could only ever be false (or, negated, always true), so it is a
   * mistake in the policy, refused.
   */
  private condition(parse: () => ClaimsNode, pos = this.peek().pos): ClaimsNode {
    const node = parse()
    if (node.kind === 'literal' && typeof node.value !== 'boolean') {
      throw new ClaimsSyntaxError(
        'NOT_A_CONDITION',
        pos,
        'a string or number is not a condition; compare it with a claim',
      )
    }
    return node
  }

  private peek(): Token {
    return this.tokens[this.i]!
  }

  private isOperator(t: Token, ...operators: Operator[]): boolean {
    return t.kind === 'operator' && operators.includes(t.operator)
  }

  private unexpected(t: Token): never {
    if (t.kind === 'end') throw new ClaimsSyntaxError('UNEXPECTED_END', t.pos, 'unexpected end')
    throw new ClaimsSyntaxError('UNEXPECTED_TOKEN', t.pos, 'unexpected token')
  }

  private node<T extends ClaimsNode>(pos: number, n: T): T {
    if (++this.nodes > CLAIMS_LIMITS.maxNodes) {
      throw new ClaimsSyntaxError(
        'TOO_MANY_NODES',
        pos,
        `an expression has at most ${CLAIMS_LIMITS.maxNodes} terms and operators`,
      )
    }
    return n
  }

  private nested<T>(pos: number, parse: () => T): T {
    if (++this.depth > CLAIMS_LIMITS.maxDepth) {
      throw new ClaimsSyntaxError(
        'TOO_DEEP',
        pos,
        `parentheses and ! nest at most ${CLAIMS_LIMITS.maxDepth} deep`,
      )
    }
    const result = parse()
    this.depth--
    return result
  }

  private or(): ClaimsNode {
    return this.chain('||', 'or', () => this.and())
  }

  private and(): ClaimsNode {
    return this.chain('&&', 'and', () => this.unary())
  }

  private chain(operator: '&&' | '||', kind: 'and' | 'or', next: () => ClaimsNode): ClaimsNode {
    const first = this.peek()
    const operand = next()
    if (!this.isOperator(this.peek(), operator)) return operand
    const operands = [this.condition(() => operand, first.pos)]
    while (this.isOperator(this.peek(), operator)) {
      this.i++
      operands.push(this.condition(next))
    }
    return this.node(first.pos, { kind, operands })
  }

  private unary(): ClaimsNode {
    const t = this.peek()
    if (!this.isOperator(t, '!')) return this.compare()
    this.i++
    const operand = this.nested(t.pos, () => this.condition(() => this.unary()))
    return this.node(t.pos, { kind: 'not', operand })
  }

  private compare(): ClaimsNode {
    const start = this.peek()
    const left = start.kind === 'quantifier' ? this.quantified(start) : this.operand()
    const t = this.peek()
    if (t.kind !== 'operator' || !COMPARE.has(t.operator)) {
      if (left.kind === 'quantified') this.misplaced(start.pos)
      return left
    }
    this.i++
    let result: ClaimsNode
    if (t.operator === '=~' || t.operator === '!~') {
      const p = this.peek()
      if (p.kind === 'end') this.unexpected(p)
      if (p.kind !== 'string') {
        throw new ClaimsSyntaxError(
          'PATTERN_NOT_LITERAL',
          p.pos,
          `the right side of ${t.operator} must be a pattern in quotes`,
        )
      }
      this.i++
      const program = this.pattern(p.value, p.pos)
      result = this.node(t.pos, {
        kind: 'match',
        negate: t.operator === '!~',
        subject: left,
        pattern: p.value,
        program,
      })
    } else {
      const right = this.operand()
      result = this.node(t.pos, {
        kind: 'compare',
        operator: t.operator as CompareOperator,
        left,
        right,
      })
    }
    const after = this.peek()
    if (after.kind === 'operator' && COMPARE.has(after.operator)) {
      throw new ClaimsSyntaxError(
        'CHAINED_COMPARISON',
        after.pos,
        'comparisons do not chain; use && or parentheses',
      )
    }
    return result
  }

  private pattern(pattern: string, pos: number): Program {
    try {
      // The expression's own length bounds how much pattern it can hold in all.
      return buildPattern(pattern)
    } catch (err) {
      if (!(err instanceof PatternError)) throw err
      throw new ClaimsSyntaxError(err.code, pos, `pattern: ${err.message} (offset ${err.offset})`)
    }
  }

  private misplaced(pos: number): never {
    throw new ClaimsSyntaxError(
      'QUANTIFIER_MISPLACED',
      pos,
      'any(...) and all(...) stand only on the left of a comparison or a match',
    )
  }

  /** `roles` is the gateway's list of role names: `roles.<name>` or `any(roles)`, never whole. */
  private checkRoles(segments: readonly string[], pos: number, quantified: boolean): void {
    if (segments[0] !== 'roles') return
    if (quantified ? segments.length === 1 : segments.length === 2) return
    throw new ClaimsSyntaxError(
      'ROLES_IS_A_LIST',
      pos,
      'roles is a list of names: test one with roles.<name>, or use any(roles) / all(roles)',
    )
  }

  /** `any(path)` / `all(path)`; the caller has seen the quantifier token. */
  private quantified(t: Token & { kind: 'quantifier' }): ClaimsNode {
    this.i++
    const open = this.peek()
    if (!this.isOperator(open, '(')) this.unexpected(open)
    this.i++
    const path = this.peek()
    if (path.kind !== 'path') return this.unexpected(path)
    this.i++
    this.checkRoles(path.segments, path.pos, true)
    const close = this.peek()
    if (!this.isOperator(close, ')')) this.unexpected(close)
    this.i++
    const quantifier: Quantifier = t.quantifier
    return this.node(t.pos, { kind: 'quantified', quantifier, segments: path.segments })
  }

  private operand(): ClaimsNode {
    const t = this.peek()
    switch (t.kind) {
      case 'quantifier':
        return this.misplaced(t.pos)
      case 'path':
        this.i++
        this.checkRoles(t.segments, t.pos, false)
        return this.node(t.pos, { kind: 'path', segments: t.segments })
      case 'string':
      case 'number':
      case 'boolean':
        this.i++
        return this.node(t.pos, { kind: 'literal', value: t.value })
      case 'operator':
        if (t.operator === '(') {
          this.i++
          const inner = this.nested(t.pos, () => this.or())
          const close = this.peek()
          if (!this.isOperator(close, ')')) this.unexpected(close)
          this.i++
          return inner
        }
        return this.unexpected(t)
      case 'end':
        return this.unexpected(t)
    }
  }
}
