/**
 * Claim rules are strict about types: only boolean true is true, comparisons are typed, lists
 * need any(...) / all(...) (or roles.<name>), and a value of the wrong type never makes a rule
 * true, nor its negation. CLAIM-101 runs the README's table of cases, so the documentation
 * and the code cannot drift apart.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ClaimsSyntaxError, evaluateClaims, judgeClaims, parseClaims } from './index.js'
import type { ClaimsErrorCode } from './index.js'

const check = (source: string, claims: unknown): boolean =>
  evaluateClaims(parseClaims(source), claims)

interface Case {
  expression: string
  claims: unknown
  result: boolean
  why: string
}

/** The rows between the README's `cases` markers: `| \`expr\` | \`json\` | result | why |`. */
function readmeCases(): Case[] {
  const text = readFileSync(new URL('./README.md', import.meta.url), 'utf8')
  const start = text.indexOf('<!-- cases:start -->')
  const end = text.indexOf('<!-- cases:end -->')
  expect(start).toBeGreaterThan(0)
  expect(end).toBeGreaterThan(start)
  const rows = text
    .slice(start, end)
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .slice(2)
  return rows.map((row) => {
    const cells = row
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim().replaceAll('\\|', '|'))
    expect(cells, row).toHaveLength(4)
    const [expression, claims, result, why] = cells as [string, string, string, string]
    expect(expression, row).toMatch(/^`.+`$/)
    expect(claims, row).toMatch(/^`.+`$/)
    expect(['true', 'false'], row).toContain(result)
    return {
      expression: expression.slice(1, -1),
      claims: JSON.parse(claims.slice(1, -1)) as unknown,
      result: result === 'true',
      why,
    }
  })
}

const CASES = readmeCases()

function refusal(source: string): [ClaimsErrorCode, number] {
  try {
    parseClaims(source)
  } catch (err) {
    expect(err).toBeInstanceOf(ClaimsSyntaxError)
    const e = err as ClaimsSyntaxError
    return [e.code, e.position]
  }
  throw new Error(`parsed: ${source}`)
}

describe('claims: the README table of cases', () => {
  it('has the cases the semantics promise', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60)
    const expressions = CASES.map((c) => c.expression)
    for (const needed of ['email_verified', 'mfa', 'org.admin', 'roles.admin', 'level > 5']) {
      expect(expressions).toContain(needed)
    }
    expect(expressions.some((e) => e.startsWith('any('))).toBe(true)
    expect(expressions.some((e) => e.startsWith('all('))).toBe(true)
    expect(CASES.filter((c) => c.result).length).toBeGreaterThan(15)
    expect(CASES.filter((c) => !c.result).length).toBeGreaterThan(30)
  })

  it.each(CASES.map((c) => [c.expression, JSON.stringify(c.claims), c.result, c.claims] as const))(
    'CLAIM-101 the README table of cases holds: %s on %s is %s',
    (expression, _, result, claims) => {
      expect(check(expression, claims)).toBe(result)
    },
  )
})

/** Every JSON value that is not boolean true, and the in-memory values JSON cannot carry. */
const NOT_TRUE: unknown[] = [
  false,
  'true',
  'false',
  'yes',
  '1',
  '0',
  '',
  1,
  0,
  -1,
  0.5,
  Number.NaN,
  Infinity,
  [],
  [true],
  ['true'],
  {},
  { value: true },
  null,
]

describe('claims: strict types', () => {
  it.each(['email_verified', 'mfa', 'org.admin', 'a.b.c.d'])(
    'CLAIM-102 a bare claim (%s) is true only for boolean true',
    (path) => {
      const claimsWith = (v: unknown) => {
        const out: Record<string, unknown> = {}
        let node = out
        const segments = path.split('.')
        segments.slice(0, -1).forEach((s) => (node = node[s] = {}))
        node[segments.at(-1)!] = v
        return out
      }
      expect(check(path, claimsWith(true))).toBe(true)
      expect(check(`(${path})`, claimsWith(true))).toBe(true)
      for (const v of NOT_TRUE) {
        expect(check(path, claimsWith(v)), JSON.stringify(v)).toBe(false)
        expect(check(`(${path}) == true`, claimsWith(v)), JSON.stringify(v)).toBe(false)
        // The negation is true only for what is really false: false itself, null, missing.
        const negated = check(`!${path}`, claimsWith(v))
        expect(negated, JSON.stringify(v)).toBe(v === false || v === null)
      }
    },
  )

  it('CLAIM-103 the issue’s examples: "false", "0" and ["admin"] satisfy nothing', () => {
    expect(check('email_verified', { email_verified: 'false' })).toBe(false)
    expect(check('mfa', { mfa: '0' })).toBe(false)
    expect(check('org.admin', { org: ['admin'] })).toBe(false)
    expect(check("org =~ '^admin$'", { org: ['admin', 'x'] })).toBe(false)
    expect(check("any(org) =~ '^admin$'", { org: ['x', 'admin'] })).toBe(true)
    expect(check('email_verified && mfa && org.admin', { email_verified: 'false' })).toBe(false)
    expect(check('!email_verified || !mfa', { email_verified: 'false', mfa: '0' })).toBe(false)
  })

  it('CLAIM-104 a segment on a list other than roles is never membership, either way', () => {
    for (const list of [['admin'], ['admin', 'x'], [true], [{ admin: true }]]) {
      for (const claims of [{ groups: list }, { org: { groups: list } }]) {
        const path = 'groups' in claims ? 'groups.admin' : 'org.groups.admin'
        expect(check(path, claims)).toBe(false)
        expect(check(`!${path}`, claims)).toBe(false)
        expect(check(`${path} == true`, claims)).toBe(false)
        expect(check(`${path} != true`, claims)).toBe(false)
      }
    }
    // org.roles is an ordinary path: only the top-level roles is the gateway's list.
    expect(check('org.roles.admin', { org: { roles: ['admin'] } })).toBe(false)
  })

  it('CLAIM-105 roles.<name> is membership in a list of names only', () => {
    expect(check('roles.admin', { roles: ['admin'] })).toBe(true)
    for (const roles of [
      { admin: true },
      'admin',
      'roles admin',
      true,
      1,
      [['admin']],
      [{ admin: true }],
      ['ADMIN'],
      ['admin '],
    ]) {
      expect(check('roles.admin', { roles }), JSON.stringify(roles)).toBe(false)
      expect(check('roles.admin == true', { roles }), JSON.stringify(roles)).toBe(false)
    }
    // A list of names without it: false, so negation holds. Any other shape: unknown.
    expect(check('!roles.admin', { roles: ['orders'] })).toBe(true)
    expect(check('!roles.admin', { roles: [] })).toBe(true)
    expect(check('!roles.admin', {})).toBe(true)
    for (const roles of [{ admin: false }, 'orders', [1], ['orders', null, 2], true]) {
      expect(check('!roles.admin', { roles }), JSON.stringify(roles)).toBe(false)
    }
  })

  it('CLAIM-106 a list compared or matched without any/all satisfies nothing, nor its negation', () => {
    const claims = { groups: ['ops', 'dev'], nums: [1, 2, 3], flags: [true] }
    for (const source of [
      "groups == 'ops'",
      "'ops' == groups",
      "groups != 'admin'",
      'nums == 2',
      'nums != 9',
      'nums > 0',
      '0 < nums',
      'flags == true',
      "groups =~ 'o'",
      "groups !~ 'x'",
      'groups == groups',
      'groups != nums',
    ]) {
      expect(check(source, claims), source).toBe(false)
      expect(check(`!(${source})`, claims), `!(${source})`).toBe(false)
      expect(judgeClaims(parseClaims(source), claims), source).toBeUndefined()
    }
  })

  it('CLAIM-107 any(...) and all(...): some member, every member of a non-empty list', () => {
    const c = { g: ['ops', 'dev'], e: [], n: [1, 5, 9], mixed: [9, '9'], s: 'ops', nul: [null] }
    const cases: [string, boolean | undefined][] = [
      ["any(g) == 'ops'", true],
      ["all(g) == 'ops'", false],
      ["all(g) =~ '^(ops|dev)$'", true],
      ["any(g) != 'ops'", true],
      ["all(g) != 'admin'", true],
      ["any(e) == 'ops'", false],
      ["all(e) == 'ops'", false],
      ["all(e) !~ 'x'", false],
      ['any(n) > 8', true],
      ['all(n) > 0', true],
      ['all(n) > 1', false],
      ['any(n) == 5', true],
      ["any(n) == '5'", undefined],
      ['all(mixed) == 9', undefined],
      ['any(mixed) == 9', true],
      ['all(mixed) > 10', false],
      ['any(mixed) > 10', undefined],
      ["any(s) == 'ops'", undefined],
      ["any(missing) == 'ops'", false],
      ["any(nul) == 'x'", false],
      ["all(nul) != 'x'", false],
      ["any(roles) == 'x'", false],
    ]
    for (const [source, expected] of cases) {
      expect(judgeClaims(parseClaims(source), c), source).toBe(expected)
      const negated = judgeClaims(parseClaims(`!(${source})`), c)
      expect(negated, `!(${source})`).toBe(expected === undefined ? undefined : !expected)
    }
  })

  it('CLAIM-108 comparisons are typed: different types satisfy neither == nor != nor their negation', () => {
    const values: unknown[] = ['9', 9, true, 'true', false, 'false', 0, '0', '', 8.5, [9], { v: 9 }]
    const scalar = (v: unknown) => ['string', 'number', 'boolean'].includes(typeof v)
    const expected = (op: string, a: unknown, b: unknown): boolean | undefined => {
      if (!scalar(a) || !scalar(b) || typeof a !== typeof b) return undefined
      if (op === '==') return a === b
      if (op === '!=') return a !== b
      if (typeof a !== 'number' || typeof b !== 'number') return undefined
      return { '<': a < b, '<=': a <= b, '>': a > b, '>=': a >= b }[op]
    }
    for (const a of values) {
      for (const b of values) {
        for (const op of ['==', '!=', '<', '<=', '>', '>=']) {
          const source = `a ${op} b`
          const where = `${JSON.stringify(a)} ${op} ${JSON.stringify(b)}`
          const want = expected(op, a, b)
          expect(judgeClaims(parseClaims(source), { a, b }), where).toBe(want)
          expect(check(`!(${source})`, { a, b }), `!(${where})`).toBe(want === false)
        }
      }
    }
    // Literals too: no coercion in either direction.
    expect(check('level == 9', { level: '9' })).toBe(false)
    expect(check('level != 9', { level: '9' })).toBe(false)
    expect(check("level == '9'", { level: 9 })).toBe(false)
    expect(check("level != '9'", { level: 9 })).toBe(false)
    expect(check('admin == true', { admin: 'true' })).toBe(false)
    expect(check('admin != false', { admin: 'true' })).toBe(false)
  })

  it('CLAIM-109 ordering is between finite numbers only; NaN and infinities never compare', () => {
    expect(check('level > 5', { level: 9 })).toBe(true)
    expect(check('level > 5', { level: '9' })).toBe(false)
    expect(check('!(level > 5)', { level: '9' })).toBe(false)
    expect(check('!(level <= 5)', { level: '9' })).toBe(false)
    expect(check("name < 'm'", { name: 'alice' })).toBe(false)
    expect(check('!(flag > false)', { flag: true })).toBe(false)
    for (const level of [Number.NaN, Infinity, -Infinity]) {
      for (const source of ['level > 5', 'level < 5', 'level == level', 'level != 5']) {
        expect(check(source, { level }), `${source} on ${level}`).toBe(false)
        expect(check(`!(${source})`, { level }), `!(${source}) on ${level}`).toBe(false)
      }
    }
    expect(check('level == 9', JSON.parse('{"level": 9.0}'))).toBe(true)
    expect(check('level == -0', { level: 0 })).toBe(true)
  })

  it('CLAIM-110 null is missing; there is no null literal', () => {
    expect(check('!a', { a: null })).toBe(true)
    expect(check("a != 'x'", { a: null })).toBe(false)
    expect(check('!(a == 1)', { a: null })).toBe(true)
    expect(check('!a.b', { a: null })).toBe(true)
    expect(refusal('a == null')).toEqual(['BAD_PATH', 5])
    expect(refusal('!null')).toEqual(['BAD_PATH', 1])
    expect(refusal('null.x')).toEqual(['BAD_PATH', 0])
    // As part of a name it is an ordinary claim.
    expect(check('nullable', { nullable: true })).toBe(true)
  })

  it('CLAIM-111 a wrong type decides nothing in && and ||, and is never negated into a pass', () => {
    const admin = { mfa: 'yes', roles: ['admin'] }
    const nobody = { mfa: 'yes', roles: [] }
    expect(check('mfa || roles.admin', admin)).toBe(true)
    expect(check('mfa || roles.admin', nobody)).toBe(false)
    expect(check('!(mfa || roles.admin)', nobody)).toBe(false)
    expect(check('mfa && roles.admin', admin)).toBe(false)
    expect(check('!(mfa && roles.admin)', admin)).toBe(false)
    expect(check('!(mfa && roles.admin)', nobody)).toBe(true)
    expect(check('!!mfa', admin)).toBe(false)
    expect(check('(mfa) == false', admin)).toBe(false)
    expect(check('(mfa) != true', admin)).toBe(false)
  })
})

describe('claims: refused at parse time', () => {
  it.each<[string, ClaimsErrorCode, number]>([
    ["'x'", 'NOT_A_CONDITION', 0],
    ['1', 'NOT_A_CONDITION', 0],
    ['0 || a', 'NOT_A_CONDITION', 0],
    ["a && 'x'", 'NOT_A_CONDITION', 5],
    ['!1', 'NOT_A_CONDITION', 1],
    ["a || ('x')", 'NOT_A_CONDITION', 5],
    ['(-1)', 'NOT_A_CONDITION', 0],
    ['any(groups)', 'QUANTIFIER_MISPLACED', 0],
    ['!all(groups)', 'QUANTIFIER_MISPLACED', 1],
    ["'ops' == any(groups)", 'QUANTIFIER_MISPLACED', 9],
    ["(any(groups)) == 'ops'", 'QUANTIFIER_MISPLACED', 1],
    ["any(groups) == 'ops' && all(x)", 'QUANTIFIER_MISPLACED', 24],
    ['any(1) == 1', 'UNEXPECTED_TOKEN', 4],
    ["any('x') == 1", 'UNEXPECTED_TOKEN', 4],
    ['any(a b) == 1', 'UNEXPECTED_TOKEN', 6],
    ['any(any(a)) == 1', 'UNEXPECTED_TOKEN', 4],
    ['any() == 1', 'UNEXPECTED_TOKEN', 4],
    ['any(a', 'UNEXPECTED_END', 5],
    ['roles', 'ROLES_IS_A_LIST', 0],
    ['!roles', 'ROLES_IS_A_LIST', 1],
    ["roles == 'admin'", 'ROLES_IS_A_LIST', 0],
    ["'admin' == roles", 'ROLES_IS_A_LIST', 11],
    ["roles != 'admin'", 'ROLES_IS_A_LIST', 0],
    ["roles =~ '^adm'", 'ROLES_IS_A_LIST', 0],
    ['roles.admin.x', 'ROLES_IS_A_LIST', 0],
    ['any(roles.admin) == true', 'ROLES_IS_A_LIST', 4],
  ])('CLAIM-112 %j is refused with %s at %i', (source, code, position) => {
    expect(refusal(source)).toEqual([code, position])
  })

  it('any and all without a parenthesis are ordinary claim names', () => {
    expect(check('any && all', { any: true, all: true })).toBe(true)
    expect(check("any == 'x'", { any: 'x' })).toBe(true)
    expect(check('any.b', { any: { b: true } })).toBe(true)
    expect(check("any (g) == 'x'", { g: ['x'] })).toBe(true)
    expect(check("all\n(g) == 'x'", { g: ['x'] })).toBe(true)
  })

  it('the forms the demo, the design and the README use still parse', () => {
    for (const source of [
      'roles.orders || roles.admin',
      'roles.admin',
      "roles.admin || level > 5 && !guest && email =~ '@example\\.com$'",
      "email_verified && email =~ '@example\\.com$' && !roles.contractor",
      "any(groups) == 'ops' && all(emails) =~ '@example\\.com$'",
      "any(roles) == 'order-admin'",
    ]) {
      expect(() => parseClaims(source), source).not.toThrow()
    }
  })
})
