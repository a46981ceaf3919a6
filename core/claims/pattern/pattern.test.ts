import { describe, expect, it } from 'vitest'
import { CLAIMS_LIMITS } from '../limits.js'
import { buildPattern, PatternError, runPattern } from './index.js'

const matches = (pattern: string, subject: string): boolean =>
  runPattern(buildPattern(pattern), subject)

function refusal(pattern: string): PatternError {
  try {
    buildPattern(pattern)
  } catch (err) {
    expect(err).toBeInstanceOf(PatternError)
    return err as PatternError
  }
  throw new Error(`accepted: ${pattern}`)
}

const PATTERNS = [
  '',
  'abc',
  '^abc$',
  'a|b',
  '^(a|b)+$',
  'a*',
  '^a*$',
  'a+b',
  'a?b',
  '^a{2}$',
  '^a{2,}$',
  '^a{2,3}$',
  '^a{0,1}b$',
  '[a-c]',
  '^[^a-c]+$',
  '^[a-z0-9._-]+@example\\.com$',
  '@example\\.com$',
  '\\d+',
  '^\\d+$',
  '\\D',
  '^\\w+$',
  '\\W',
  '\\s',
  '^\\S+$',
  '.',
  '^.$',
  '^..$',
  '\\bfoo\\b',
  '\\Bbar',
  '^(?:ab)+$',
  'a.c',
  '^x*?$',
  '^a+?b$',
  '^$',
  '^(ab|cd){1,2}$',
  '[\\d]',
  '^[\\w-]+$',
  '\\.',
  '\\$',
  '\\^',
  '\\(\\)',
  '[\\]]',
  '\\/',
  '\\t',
  '^(a*)*$',
  '^(a|ab)(c|bcd)(d*)$',
  '(^a|b$)',
  '^(|a)b$',
  '^é+$',
  '^[à-ÿ]+$',
  '^[😀-😂]$',
  '^[\\s\\d]+$',
  '^[^\\s]+$',
  '^[\\D]$',
  '^a{0}$',
]

const SUBJECTS = [
  '',
  'a',
  'b',
  'abc',
  'aab',
  'aaa',
  'ab',
  'abab',
  'cd',
  'abcd',
  'foo bar',
  'foobar',
  'x@example.com',
  'bob@example.com',
  'BOB@EXAMPLE.COM',
  'bob@exampleXcom',
  '123',
  '12a',
  'a.c',
  'a\nc',
  '\t',
  ' ',
  '😀',
  '😁',
  'é',
  'éé',
  '$^',
  '()',
  ']',
  '/',
  'foo-bar_1',
  'a b',
]

describe('patterns: the same answers as RegExp', () => {
  it.each(PATTERNS)('%j', (pattern) => {
    const reference = new RegExp(pattern, 'u')
    const program = buildPattern(pattern)
    for (const subject of SUBJECTS) {
      expect(runPattern(program, subject), JSON.stringify(subject)).toBe(reference.test(subject))
    }
  })
})

describe('patterns: refused', () => {
  it.each([
    ['(', 'an unclosed group'],
    ['a)', 'an unopened group'],
    ['[a', 'an unclosed class'],
    ['*a', 'a repetition of nothing'],
    ['a{2,1}', 'a reversed range'],
    ['(a)\\1', 'a backreference'],
    ['(?=a)', 'a lookahead'],
    ['(?<=a)b', 'a lookbehind'],
  ])('CLAIM-022 %j is refused (%s)', (pattern) => {
    expect(refusal(pattern).code).toBe('PATTERN_INVALID')
  })

  it('CLAIM-023 a pattern longer than the limit is refused', () => {
    expect(() => buildPattern('a'.repeat(CLAIMS_LIMITS.maxPatternLength))).not.toThrow()
    expect(refusal('a'.repeat(CLAIMS_LIMITS.maxPatternLength + 1)).code).toBe('PATTERN_TOO_COMPLEX')
  })
})

describe('patterns: linear time', () => {
  const n = CLAIMS_LIMITS.maxSubjectLength
  it.each([
    ['(a+)+$', 'a'.repeat(n - 1) + 'b'],
    ['(a|aa)+$', 'a'.repeat(n - 1) + 'b'],
    ['(a*)*b', 'a'.repeat(n)],
    ['^(a|a)*$', 'a'.repeat(n - 1) + 'b'],
    ['a*a*a*a*a*a*a*a*a*a*c', 'a'.repeat(n)],
    ['(\\w+\\s?)+$', 'word '.repeat(n / 5 - 1) + '!'],
    ['^([a-z0-9]+\\.?)+@', 'a.'.repeat(n / 2 - 1) + '!'],
    ['(.*){1,100}x', 'y'.repeat(n)],
    ['[a-z]{0,100}[a-z]{0,100}x', 'a'.repeat(n)],
  ])(
    'CLAIM-008 a pattern that backtracks catastrophically in RegExp runs in linear time: %j',
    (pattern, subject) => {
      const program = buildPattern(pattern)
      const started = performance.now()
      expect(runPattern(program, subject)).toBe(false)
      expect(performance.now() - started).toBeLessThan(250)
    },
  )

  it('an anchored pattern stops as soon as its one attempt fails', () => {
    expect(matches('^b', 'a'.repeat(n))).toBe(false)
    expect(matches('^a+$', 'a'.repeat(n))).toBe(true)
  })
})
