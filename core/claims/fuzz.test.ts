/**
 * Random input against the parser, the evaluator and the pattern matcher. Seeded, so a
 * failure reproduces: CLAIMS_FUZZ_SEED=<n> picks another seed, CLAIMS_FUZZ_ROUNDS=<n> runs
 * longer. Every input must either parse or throw ClaimsSyntaxError with a sane position,
 * and every evaluation must return a boolean at once. The type properties: no value but
 * boolean true makes a bare claim true, no list satisfies a comparison or a match without
 * any(...) / all(...), and a value of the wrong type never makes a rule (or its negation) true.
 */
import { describe, expect, it } from 'vitest'
import {
  CLAIMS_ERROR_CODES,
  CLAIMS_LIMITS,
  ClaimsSyntaxError,
  evaluateClaims,
  judgeClaims,
  parseClaims,
  type ClaimsExpression,
} from './index.js'
import { buildPattern, PatternError, runPattern } from './pattern/index.js'

const SEED = Number(process.env.CLAIMS_FUZZ_SEED ?? 20_260_703)
const ROUNDS = Number(process.env.CLAIMS_FUZZ_ROUNDS ?? 4_000)
/** One evaluation may take this long at most; the real cost is microseconds. */
const SLOW_MS = 100

const check = (source: string, claims: unknown): boolean =>
  evaluateClaims(parseClaims(source), claims)

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
  'any(roles)',
  'all(nums)',
  'any(',
  'all',
  'null',
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

const PATHS = ['a', 'roles.admin', 'roles.orders', 'org.level', 'level', 'sub', 'x.y.z', 'nums']
const LISTS = ['roles', 'nums', 'a', 'org.tags', 'missing']
const CONDITIONS = [...PATHS, 'true', 'false']
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
  const quantified = () => `${t.pick(['any', 'all'])}(${t.pick(LISTS)})`
  switch (depth > 4 ? 6 + t.int(6) : t.int(12)) {
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
    case 8:
      return `${quantified()} ${t.pick(COMPARE)} ${operand()}`
    case 9:
      return `${quantified()} ${t.pick(['=~', '!~'])} ${t.pick(PATTERNS)}`
    default:
      return depth < 4 && t.random() < 0.15
        ? `(${sp()}${validExpression(t, depth + 1)}${sp()})`
        : t.pick(CONDITIONS)
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
    { roles: ['orders', 7], level: '9', a: 'true', nums: ['1', 2], org: { tags: ['eu'] } },
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
  // Negation flips every known answer and keeps an unknown one unknown (false both ways),
  // when the wrapped form is still within the limits.
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
      const known = judgeClaims(result, c)
      const flipped = judgeClaims(negated, c)
      if (flipped !== (known === undefined ? undefined : !known)) {
        throw new Error(`! does not negate: ${where}`)
      }
      if (answer && evaluateClaims(negated, c)) throw new Error(`both true: ${where}`)
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
    // Most random sequences are refused (a bare string, number or `roles` is too).
    expect(stats.parsed).toBeGreaterThan(ROUNDS / 80)
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

/** Object members down to `depth` (not list members), as paths: where a claim can be swapped. */
function memberPaths(value: unknown, prefix: string[] = [], depth = 3): string[][] {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || depth === 0) return []
  return Object.keys(value).flatMap((key) => [
    [...prefix, key],
    ...memberPaths((value as Record<string, unknown>)[key], [...prefix, key], depth - 1),
  ])
}

/** A deep copy of JSON-like claims with the member at `path` set to `v` (undefined: removed). */
function withMember(claims: unknown, path: readonly string[], v: unknown): unknown {
  const copy = structuredClone(claims) as Record<string, unknown>
  let node = copy
  for (const segment of path.slice(0, -1)) node = node[segment] as Record<string, unknown>
  if (v === undefined) delete node[path.at(-1)!]
  else node[path.at(-1)!] = v
  return copy
}

/** The per-member rules of the README, written out plainly as the reference. */
function reference(op: string, a: unknown, b: unknown): boolean | undefined {
  const scalar = (v: unknown) =>
    typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && isFinite(v))
  const missing = (v: unknown) => v === null || v === undefined
  if (!(missing(a) || scalar(a)) || !(missing(b) || scalar(b))) return undefined
  if (missing(a) || missing(b)) return false
  if (!scalar(a) || !scalar(b) || typeof a !== typeof b) return undefined
  if (op === '==') return a === b
  if (op === '!=') return a !== b
  if (typeof a !== 'number' || typeof b !== 'number') return undefined
  return { '<': a < b, '<=': a <= b, '>': a > b, '>=': a >= b }[op]
}

describe('claims: fuzz of the type rules', () => {
  const LITERAL_VALUES: [string, unknown][] = [
    ["'admin'", 'admin'],
    ["'1'", '1'],
    ["'true'", 'true'],
    ["''", ''],
    ['1', 1],
    ['0', 0],
    ['2.5', 2.5],
    ['-1', -1],
    ['true', true],
    ['false', false],
  ]

  it('CLAIM-113 no value but boolean true makes a bare claim true, in any position', () => {
    const t = tools(SEED + 10)
    let values = 0
    for (let round = 0; round < ROUNDS; round++) {
      const v = randomValue(t, 0)
      const path = t.pick([['x'], ['org', 'x'], ['a', 'b', 'c']])
      const source = path.join('.')
      let claims: Record<string, unknown> = { [path.at(-1)!]: v }
      for (const segment of path.slice(0, -1).reverse()) claims = { [segment]: claims }
      const isTrue = v === true
      const isFalse = v === false || v === null
      const where = `${source} on ${JSON.stringify(v)}`
      if (check(source, claims) !== isTrue) throw new Error(`bare: ${where}`)
      if (check(`(${source}) && true`, claims) !== isTrue) throw new Error(`&&: ${where}`)
      if (check(`false || ${source}`, claims) !== isTrue) throw new Error(`||: ${where}`)
      if (check(`${source} == true`, claims) !== isTrue) throw new Error(`== true: ${where}`)
      if (check(`!${source}`, claims) !== isFalse) throw new Error(`!: ${where}`)
      if (check(`!!${source}`, claims) !== isTrue) throw new Error(`!!: ${where}`)
      values++
    }
    expect(values).toBe(ROUNDS)
  }, 60_000)

  it('CLAIM-114 a list satisfies no comparison or match without any/all; with them, the member rules decide', () => {
    const t = tools(SEED + 11)
    const patterns: [string, RegExp][] = [
      ["'^a'", /^a/],
      ["'1'", /1/],
      ["'^$'", /^$/],
    ]
    let quantified = 0
    for (let round = 0; round < ROUNDS / 4; round++) {
      const list = Array.from({ length: t.int(5) }, () =>
        t.pick<unknown>(['admin', 'a', '1', '', 1, 0, 2.5, true, false, null, [1], { a: 1 }]),
      )
      const claims = { list }
      const [literal, lit] = t.pick(LITERAL_VALUES)
      for (const op of COMPARE) {
        for (const source of [`list ${op} ${literal}`, `${literal} ${op} list`]) {
          if (check(source, claims) || check(`!(${source})`, claims)) {
            throw new Error(`a list compared: ${source} on ${JSON.stringify(list)}`)
          }
        }
        const members = list.map((m) => reference(op, m, lit))
        const any = members.includes(true) ? true : members.includes(undefined) ? undefined : false
        const all =
          list.length === 0 || members.includes(false)
            ? false
            : members.includes(undefined)
              ? undefined
              : true
        const where = `${op} ${literal} on ${JSON.stringify(list)}`
        expect(judgeClaims(parseClaims(`any(list) ${op} ${literal}`), claims), `any ${where}`).toBe(
          any,
        )
        expect(judgeClaims(parseClaims(`all(list) ${op} ${literal}`), claims), `all ${where}`).toBe(
          all,
        )
        quantified += 2
      }
      for (const [pattern, re] of patterns) {
        for (const op of ['=~', '!~']) {
          const source = `list ${op} ${pattern}`
          if (check(source, claims) || check(`!(${source})`, claims)) {
            throw new Error(`a list matched: ${source} on ${JSON.stringify(list)}`)
          }
          const members = list.map((m) =>
            m === null ? false : typeof m === 'string' ? re.test(m) === (op === '=~') : undefined,
          )
          const any = members.includes(true)
            ? true
            : members.includes(undefined)
              ? undefined
              : false
          const anySource = `any(list) ${op} ${pattern}`
          expect(judgeClaims(parseClaims(anySource), claims), anySource).toBe(any)
        }
      }
    }
    expect(quantified).toBeGreaterThan(ROUNDS)
  }, 60_000)

  it('CLAIM-115 two values of different types satisfy no comparison, nor its negation', () => {
    const t = tools(SEED + 12)
    let mixed = 0
    for (let round = 0; round < ROUNDS; round++) {
      const a = randomValue(t, 1)
      const b = randomValue(t, 1)
      for (const op of COMPARE) {
        const want = reference(op, a, b)
        const claims = { a, b }
        const source = `a ${op} b`
        const got = judgeClaims(parseClaims(source), claims)
        if (got !== want) {
          throw new Error(`${JSON.stringify(a)} ${op} ${JSON.stringify(b)}: ${got} not ${want}`)
        }
        if (want === undefined) {
          mixed++
          if (check(`!(${source})`, claims)) throw new Error(`negated: ${source}`)
        }
      }
    }
    expect(mixed).toBeGreaterThan(ROUNDS)
  }, 60_000)

  it('CLAIM-116 a claim of a type no test accepts never makes a rule true: the answer stays or becomes unknown', () => {
    const t = tools(SEED + 13)
    // Fits no test: not a boolean, not a scalar, not a list, not an object to walk.
    const unfit = () => true
    let checked = 0
    let decided = 0
    for (let round = 0; round < ROUNDS; round++) {
      const source = validExpression(t)
      if (source.length > CLAIMS_LIMITS.maxSourceLength) continue
      const expression = parseClaims(source)
      const claims = t.pick(claimsSet(t).ordinary)
      const paths = memberPaths(claims)
      if (paths.length === 0) continue
      const path = t.pick(paths)
      const before = judgeClaims(expression, claims)
      const after = judgeClaims(expression, withMember(claims, path, unfit))
      const where = `${JSON.stringify(source)} with ${path.join('.')} unfit on ${JSON.stringify(claims)}`
      if (after !== undefined && after !== before) throw new Error(`changed: ${where}`)
      if (after === true) {
        // Then no value in its place can change the answer either.
        decided++
        for (const other of [undefined, true, false, 'x', 7, ['admin'], { a: true }]) {
          if (!evaluateClaims(expression, withMember(claims, path, other))) {
            throw new Error(`depends on the unfit claim: ${where} -> ${JSON.stringify(other)}`)
          }
        }
      }
      checked++
    }
    expect(checked).toBeGreaterThan(ROUNDS / 3)
    expect(decided).toBeGreaterThan(10)
  }, 60_000)
})
