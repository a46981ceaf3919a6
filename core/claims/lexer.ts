/** Splits an expression into tokens. Every token keeps its position for error messages. */
import { ClaimsSyntaxError } from './errors.js'

export type Operator =
  '&&' | '||' | '!' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '=~' | '!~' | '(' | ')'

export type Token =
  | { kind: 'path'; segments: string[]; pos: number }
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'number'; value: number; pos: number }
  | { kind: 'boolean'; value: boolean; pos: number }
  | { kind: 'quantifier'; quantifier: 'any' | 'all'; pos: number }
  | { kind: 'operator'; operator: Operator; pos: number }
  | { kind: 'end'; pos: number }

/** Path segments that name the prototype machinery rather than a claim. */
export const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
])

/** Longest first, so `<=` is not read as `<` then `=`. */
const OPERATORS: readonly Operator[] = [
  '&&',
  '||',
  '==',
  '!=',
  '<=',
  '>=',
  '=~',
  '!~',
  '!',
  '<',
  '>',
  '(',
  ')',
]

const WHITESPACE = /[ \t\r\n]/
const IDENT_START = /[A-Za-z_]/
const IDENT = /[A-Za-z0-9_]/
const DIGIT = /[0-9]/

export function tokenize(source: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  const at = (k: number): string => source.charAt(k)

  while (i < source.length) {
    const c = at(i)
    if (WHITESPACE.test(c)) {
      i++
      continue
    }
    const start = i
    if (c === "'" || c === '"') {
      i = readString(source, i, tokens)
      continue
    }
    if (DIGIT.test(c) || (c === '-' && DIGIT.test(at(i + 1)))) {
      i = readNumber(source, i, tokens)
      continue
    }
    if (IDENT_START.test(c)) {
      i = readPath(source, i, tokens)
      continue
    }
    const operator = OPERATORS.find((op) => source.startsWith(op, i))
    if (operator) {
      tokens.push({ kind: 'operator', operator, pos: start })
      i += operator.length
      continue
    }
    const hint =
      c === '=' ? ' (use == or =~)' : c === '&' ? ' (use &&)' : c === '|' ? ' (use ||)' : ''
    throw new ClaimsSyntaxError('UNEXPECTED_CHARACTER', start, `unexpected character${hint}`)
  }
  tokens.push({ kind: 'end', pos: source.length })
  return tokens
}

/**
 * A backslash escapes the quote and itself; before any other character it stays as written,
 * so patterns keep their own escapes: '\d+' is the pattern \d+.
 */
function readString(source: string, start: number, tokens: Token[]): number {
  const quote = source.charAt(start)
  let value = ''
  let i = start + 1
  while (i < source.length) {
    const c = source.charAt(i)
    if (c === quote) {
      tokens.push({ kind: 'string', value, pos: start })
      return i + 1
    }
    if (c === '\\') {
      if (i + 1 >= source.length) break
      const e = source.charAt(i + 1)
      value += e === quote || e === '\\' ? e : c + e
      i += 2
      continue
    }
    value += c
    i++
  }
  throw new ClaimsSyntaxError('UNTERMINATED_STRING', start, 'unterminated string')
}

/** `-?(0|[1-9][0-9]*)(\.[0-9]+)?`: no exponent, no leading zeros, no trailing dot. */
function readNumber(source: string, start: number, tokens: Token[]): number {
  const m = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?/y
  m.lastIndex = start
  const text = m.exec(source)![0]
  const end = start + text.length
  const value = Number(text)
  if (/[A-Za-z0-9_.]/.test(source.charAt(end)) || !Number.isFinite(value)) {
    throw new ClaimsSyntaxError('BAD_NUMBER', start, 'malformed number')
  }
  tokens.push({ kind: 'number', value, pos: start })
  return end
}

/** Whether the next character after white space is `(`: `any (x)` is `any(x)` too. */
function opensCall(source: string, from: number): boolean {
  let i = from
  while (i < source.length && WHITESPACE.test(source.charAt(i))) i++
  return source.charAt(i) === '('
}

/**
 * `name(.name)*` with no spaces around the dots; `true` and `false` alone are literals, `null`
 * is refused, and `any` or `all` before `(` is a quantifier.
 */
function readPath(source: string, start: number, tokens: Token[]): number {
  const segments: string[] = []
  let i = start
  for (;;) {
    const segStart = i
    if (!IDENT_START.test(source.charAt(i))) {
      throw new ClaimsSyntaxError('BAD_PATH', segStart, 'a path segment must be a name')
    }
    while (i < source.length && IDENT.test(source.charAt(i))) i++
    const segment = source.slice(segStart, i)
    if (FORBIDDEN_SEGMENTS.has(segment)) {
      throw new ClaimsSyntaxError(
        'FORBIDDEN_PATH_SEGMENT',
        segStart,
        `path segment ${segment} is not allowed`,
      )
    }
    segments.push(segment)
    if (source.charAt(i) !== '.') break
    i++
  }
  const head = segments[0]
  if (head === 'true' || head === 'false') {
    if (segments.length > 1) {
      throw new ClaimsSyntaxError('BAD_PATH', start, `${head} is a literal, not a claim`)
    }
    tokens.push({ kind: 'boolean', value: head === 'true', pos: start })
  } else if (head === 'null') {
    // No null literal: a JSON null claim counts as missing, which `!claim` tests.
    throw new ClaimsSyntaxError(
      'BAD_PATH',
      start,
      'null is not a value here; a null claim is missing',
    )
  } else if ((head === 'any' || head === 'all') && segments.length === 1 && opensCall(source, i)) {
    tokens.push({ kind: 'quantifier', quantifier: head, pos: start })
  } else {
    tokens.push({ kind: 'path', segments, pos: start })
  }
  return i
}
