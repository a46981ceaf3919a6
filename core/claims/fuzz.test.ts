/**
 * Random input against the parser, the evaluator and the pattern matcher. Seeded, so a
 * failure reproduces: CLAIMS_FUZZ_SEED=<n> picks another seed, CLAIMS_FUZZ_ROUNDS=<n> runs
 * longer. Every input must either parse or throw ClaimsSyntaxError with a sane position,
 * and every evaluation must return a boolean at once.
 */
import { describe, expect, it } from 'vitest'
import {
  CLAIMS_ERROR_CODES,
  CLAIMS_LIMITS,
  ClaimsSyntaxError,
  evaluateClaims,
  parseClaims,
  type ClaimsExpression,
} from './index.js'
import { buildPattern, PatternError, runPattern } from './pattern/index.js'

const SEED = Number(process.env.CLAIMS_FUZZ_SEED ?? 20_260_703)
const ROUNDS = Number(process.env.CLAIMS_FUZZ_ROUNDS ?? 4_000)
/** One evaluation may take this long at most; the real cost is microseconds. */
const SLOW_MS = 100

/** mulberry32: small, fast, good enough to spread test input. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

function tools(seed: number) {
  const random = prng(seed)
  const int = (n: number) => Math.floor(random() * n)
  const pick = <T>(list: readonly T[]): T => list[int(list.length)]!
  return { random, int, pick }
}

const VOCABULARY = [
  // paths
  'a',
  'roles',
  'roles.admin',
  'roles.orders',
  'org.level',
  'level',
  'sub',
  'email',
  'x.y.z',
  'nums',
  'missing',
  // refused paths
  '__proto__',
  'constructor.x',
  'a.prototype',
  'true.x',
  'a.',
  '.b',
  // literals
  'true',
  'false',
  "'admin'",
  '"orders"',
  "'it\\'s'",
  '"x\\"y"',
  "''",
  '0',
  '1',
  '-1',
  '2.5',
  '-0.5',
  '7',
  '007',
  '1e3',
  "'unterminated",
  // patterns
  "'^a'",
  "'a+$'",
  "'(a+)+$'",
  "'(a|aa)+$'",
  "'@example\\.com$'",
  "'\\d{1,3}'",
  "'\\1'",
  "'(?=x)'",
  "'[a-z]{0,100}'",
  "'['",
  "'a{101}'",
  // operators, twice as likely as the rest
  ...['&&', '||', '!', '==', '!=', '<', '<=', '>', '>=', '=~', '!~', '(', ')'].flatMap((op) => [
    op,
    op,
  ]),
  // junk
  '&',
  '|',
  '=',
  '~',
  '@',
  '#',
  ';',
  '`',
  '\\',
  'é',
  '😀',
]

const SPACE = ['', ' ', ' ', '  ', '\n', '\t']
const CHARS = [
  ...'abcxyz_.019 -\'"\\()!=<>~&|',
  ...'\t\n\r',
  'é',
  '😀',
  '\u0000',
  '\u2028',
  '{',
  '[',
  '$',
]

const PATHS = ['a', 'roles', 'roles.admin', 'roles.orders', 'org.level', 'level', 'sub', 'x.y.z']
const LITERALS = [
  "'admin'",
  '"orders"',
  "'it\\'s'",
  "''",
  '0',
  '1',
  '-1',
  '2.5',
  '7',
  'true',
  'false',
]
const PATTERNS = ["'^a'", "'a+$'", "'(a|aa)+$'", "'@example\\.com$'", "'\\d{1,3}'", "'[a-z]{0,9}'"]
const COMPARE = ['==', '!=', '<', '<=', '>', '>=']

/** A syntactically valid expression, small enough to stay within every limit. */
function validExpression(t: ReturnType<typeof tools>, depth = 0): string {
  const sp = () => t.pick(SPACE)
  const operand = (): string =>
    depth < 4 && t.random() < 0.15
      ? `(${sp()}${validExpression(t, depth + 1)}${sp()})`
      : t.pick([...PATHS, ...LITERALS])
  switch (depth > 4 ? 6 + t.int(4) : t.int(10)) {
    case 0:
    case 1:
      return `${validExpression(t, depth + 1)}${sp()}&&${sp()}${validExpression(t, depth + 1)}`
    case 2:
      return `${validExpression(t, depth + 1)}${sp()}||${sp()}${validExpression(t, depth + 1)}`
    case 3:
      return `!${sp()}${validExpression(t, depth + 1)}`
    case 4:
      return `(${sp()}${validExpression(t, depth + 1)}${sp()})`
    case 5:
    case 6:
      return `${operand()} ${t.pick(COMPARE)} ${operand()}`
    case 7:
      return `${operand()} ${t.pick(['=~', '!~'])} ${t.pick(PATTERNS)}`
    default:
      return operand()
  }
}

/** Deletes, inserts or repeats a little of the source. */
function mutate(t: ReturnType<typeof tools>, source: string): string {
  let out = source
  for (let k = 1 + t.int(3); k > 0; k--) {
    const at = t.int(out.length + 1)
    const choice = t.int(3)
    if (choice === 0) out = out.slice(0, at) + out.slice(at + 1 + t.int(3))
    else if (choice === 1) out = out.slice(0, at) + t.pick(CHARS) + out.slice(at)
    else out = out.slice(0, at) + out.slice(at, at + 1 + t.int(6)).repeat(2) + out.slice(at + 6)
  }
  return out
}

function hostileClaims(): unknown[] {
  const throwing = Object.defineProperty({}, 'roles', {
    enumerable: true,
    get() {
      throw new Error('boom')
    },
  })
  const { proxy, revoke } = Proxy.revocable({}, {})
  revoke()
  return [throwing, proxy, null, 'admin', ['admin'], Object.create({ admin: true })]
}

function randomValue(t: ReturnType<typeof tools>, depth: number): unknown {
  switch (t.int(depth > 2 ? 5 : 7)) {
    case 0:
      return t.pick(['admin', 'orders', 'a', '', 'aaaaaaaaaaaaaaaaaaaaaaaab', 'x@example.com'])
    case 1:
      return t.pick([0, 1, -1, 2.5, 7, 1e300, -0])
    case 2:
      return t.random() < 0.5
    case 3:
      return null
    case 4:
      return 'a'.repeat(t.int(1_100))
    case 5:
      return Array.from({ length: t.int(5) }, () => randomValue(t, depth + 1))
    default: {
      const o: Record<string, unknown> = {}
      for (const key of ['a', 'roles', 'admin', 'orders', 'org', 'level', 'y', 'z']) {
        if (t.random() < 0.4) o[key] = randomValue(t, depth + 1)
      }
      return o
    }
  }
}

/** Ordinary claims first, then the hostile ones (reading them throws: every answer is false). */
function claimsSet(t: ReturnType<typeof tools>): { ordinary: unknown[]; hostile: unknown[] } {
  const fixed = [
    {},
    { roles: ['admin', 'orders'], level: 7, sub: 'alice', email: 'a@example.com', a: true },
    { roles: { admin: true }, org: { level: 3 }, nums: [1, 2, 3], x: { y: { z: 'aaa' } } },
  ]
  const random = Array.from({ length: 3 }, () => randomValue(t, 0))
  return { ordinary: [...fixed, ...random], hostile: hostileClaims() }
}

/** Parses or returns the error, asserting it is a well-formed ClaimsSyntaxError. */
function tryParse(source: string): ClaimsExpression | ClaimsSyntaxError {
  try {
    return parseClaims(source)
  } catch (err) {
    if (!(err instanceof ClaimsSyntaxError)) {
      throw new Error(`not a ClaimsSyntaxError for ${JSON.stringify(source)}: ${String(err)}`)
    }
    expect(CLAIMS_ERROR_CODES).toContain(err.code)
    expect(Number.isInteger(err.position)).toBe(true)
    expect(err.position).toBeGreaterThanOrEqual(0)
    expect(err.position).toBeLessThanOrEqual(source.length)
    return err
  }
}

interface Stats {
  parsed: number
  refused: number
  evaluations: number
  slowest: number
}

/** A slow evaluation is timed again, so a GC pause is not counted against it. */
function timed(expression: ClaimsExpression, claims: unknown): number {
  let best = Infinity
  for (let attempt = 0; attempt < 3 && best >= SLOW_MS; attempt++) {
    const started = performance.now()
    evaluateClaims(expression, claims)
    best = Math.min(best, performance.now() - started)
  }
  return best
}

function exercise(source: string, claims: ReturnType<typeof claimsSet>, stats: Stats): void {
  const result = tryParse(source)
  if (result instanceof ClaimsSyntaxError) {
    stats.refused++
    return
  }
  stats.parsed++
  expect(result.source).toBe(source)
  // Negation must flip every answer, when the wrapped form is still within the limits.
  const negated = tryParse(`!(${source})`)
  const all = [...claims.ordinary, ...claims.hostile]
  for (const [index, c] of all.entries()) {
    // Plain checks in the hot loop: expect() per evaluation would dominate the run time.
    const started = performance.now()
    const answer = evaluateClaims(result, c)
    let elapsed = performance.now() - started
    if (elapsed >= SLOW_MS) elapsed = timed(result, c)
    stats.evaluations++
    stats.slowest = Math.max(stats.slowest, elapsed)
    const where = `${JSON.stringify(source)} on claims #${index}`
    if (typeof answer !== 'boolean') throw new Error(`not a boolean: ${where}`)
    if (evaluateClaims(result, c) !== answer) throw new Error(`not repeatable: ${where}`)
    if (!(negated instanceof ClaimsSyntaxError) && index < claims.ordinary.length) {
      if (evaluateClaims(negated, c) !== !answer) throw new Error(`! does not negate: ${where}`)
    }
  }
}

describe('claims: fuzz', () => {
  it('CLAIM-015 random token sequences parse or are refused; evaluation is total', () => {
    const t = tools(SEED)
    const claims = claimsSet(t)
    const stats: Stats = { parsed: 0, refused: 0, evaluations: 0, slowest: 0 }
    for (let round = 0; round < ROUNDS; round++) {
      // Mostly short sequences; some long ones run into the length, depth and node limits.
      const length = round % 50 === 0 ? 100 + t.int(400) : 1 + t.int(12)
      let source = ''
      for (let k = 0; k < length; k++) source += t.pick(SPACE) + t.pick(VOCABULARY)
      exercise(source, claims, stats)
    }
    expect(stats.parsed).toBeGreaterThan(ROUNDS / 50)
    expect(stats.refused).toBeGreaterThan(ROUNDS / 4)
    expect(stats.slowest).toBeLessThan(SLOW_MS)
  }, 60_000)

  it('CLAIM-016 generated valid expressions always parse; their mutations parse or are refused', () => {
    const t = tools(SEED + 3)
    const claims = claimsSet(t)
    const stats: Stats = { parsed: 0, refused: 0, evaluations: 0, slowest: 0 }
    for (let round = 0; round < ROUNDS; round++) {
      const source = validExpression(t)
      if (source.length <= CLAIMS_LIMITS.maxSourceLength) {
        expect(tryParse(source), source).not.toBeInstanceOf(ClaimsSyntaxError)
      }
      exercise(source, claims, stats)
      exercise(mutate(t, source), claims, stats)
    }
    expect(stats.parsed).toBeGreaterThan(ROUNDS)
    expect(stats.refused).toBeGreaterThan(ROUNDS / 10)
    expect(stats.slowest).toBeLessThan(SLOW_MS)
  }, 60_000)

  it('CLAIM-017 random strings parse or are refused; evaluation is total', () => {
    const t = tools(SEED + 1)
    const claims = claimsSet(t)
    const stats: Stats = { parsed: 0, refused: 0, evaluations: 0, slowest: 0 }
    for (let round = 0; round < ROUNDS; round++) {
      const length = round % 100 === 0 ? 900 + t.int(200) : t.int(24)
      let source = ''
      for (let k = 0; k < length; k++) source += t.pick(CHARS)
      exercise(source, claims, stats)
    }
    expect(stats.refused).toBeGreaterThan(ROUNDS / 2)
    expect(stats.slowest).toBeLessThan(SLOW_MS)
  }, 60_000)

  it('CLAIM-018 random patterns are refused or give the answers RegExp gives', () => {
    const t = tools(SEED + 2)
    const atoms = ['a', 'b', '.', '*', '+', '?', '|', '(', ')', '(?:', '[', ']', '^', '$']
    const more = ['\\d', '\\w', '\\s', '\\b', '{1,2}', '{2}', '{0,}', '-', '[^', '\\.', '\\1']
    const alphabet = [...atoms, ...atoms, ...more]
    let accepted = 0
    for (let round = 0; round < ROUNDS; round++) {
      let pattern = ''
      for (let k = 1 + t.int(8); k > 0; k--) pattern += t.pick(alphabet)
      let program
      try {
        program = buildPattern(pattern)
      } catch (err) {
        expect(err).toBeInstanceOf(PatternError)
        continue
      }
      accepted++
      // Where JavaScript reads the pattern too, both must agree (RE2 reads a few more forms,
      // such as a lone `{`, as literals).
      let reference: RegExp
      try {
        reference = new RegExp(pattern, 'u')
      } catch {
        continue
      }
      for (let s = 0; s < 6; s++) {
        let subject = ''
        for (let k = t.int(8); k > 0; k--) subject += t.pick(['a', 'b', '1', ' ', '-', '\n', 'é'])
        expect(runPattern(program, subject), `${pattern} on ${JSON.stringify(subject)}`).toBe(
          reference.test(subject),
        )
      }
    }
    expect(accepted).toBeGreaterThan(ROUNDS / 10)
  }, 60_000)
})
