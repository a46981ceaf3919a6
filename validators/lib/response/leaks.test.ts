import { describe, expect, it } from 'vitest'
import { createLeakScanner, isLeakKind, ScanText } from './leaks.js'
import { LEAK_SIGNATURES } from './signatures.js'

/** One text each signature must catch (the handler tests hold the many more). */
const SAMPLES: Record<string, string> = {
  'stack-trace/node': '    at main (/srv/app.js:1:2)',
  'stack-trace/java': 'at a.b.C.d(C.java:1)',
  'stack-trace/python': 'Traceback (most recent call last):',
  'stack-trace/go': 'goroutine 7 [chan receive]:',
  'stack-trace/dotnet': '--- End of stack trace from previous location ---',
  'stack-trace/php': 'PHP Fatal error:  Uncaught Error',
  'stack-trace/ruby': "app.rb:3:in `run'",
  'sql-error/postgres': 'duplicate key value violates unique constraint "pk"',
  'sql-error/mysql': 'ER_NO_SUCH_TABLE',
  'sql-error/oracle': 'ORA-01756: quoted string not properly terminated',
  'sql-error/sqlite': 'sqlite3.OperationalError: locked',
  'sql-error/mssql': 'Conversion failed when converting the varchar value',
  'sql-error/driver': 'SequelizeDatabaseError',
  'internal-address/ipv4': '192.168.0.1',
  'internal-address/ipv6': 'fe80::1',
  'internal-address/hostname': 'http://localhost:3000/',
  'file-path/unix': '/etc/passwd',
  'file-path/windows': 'C:\\Windows',
  'file-path/file-url': 'file:///C:/x',
  'private-key/pem': '-----BEGIN DSA PRIVATE KEY-----',
  'token/jwt': 'eyJhbGciOi.eyJzdWIiOi.sig',
  'token/bearer': 'Bearer abcdefghijklmnopqrstuvwxyz',
  'token/basic': 'Authorization: Basic dXNlcjpwYXNz',
  'credential/url-password': 'amqp://guest:guest@mq/',
  'cloud-key/aws-access-key': ['ASIA', 'ABCDEFGHIJKLMNOP'].join(''),
  'cloud-key/aws-secret-key': `AWS_SECRET_KEY="${'a'.repeat(40)}"`,
  'cloud-key/gcp': `"private_key_id": "${'0'.repeat(40)}"`,
  'cloud-key/azure': `AccountKey=${'A'.repeat(30)}==`,
  'cloud-key/github': ['github', '_pat_', 'A'.repeat(70)].join(''),
  'cloud-key/slack': ['https://hooks.slack.com', '/services/T000/B000/XXXX'].join(''),
  'cloud-key/stripe': ['sk', '_live_', 'a'.repeat(24)].join(''),
}

describe('leak scanner', () => {
  const scanner = createLeakScanner()

  it.each(LEAK_SIGNATURES.map((s) => [s.id]))('%s has a sample it catches', (id) => {
    expect(SAMPLES[id]).toBeDefined()
    const found = scanner.find(new ScanText().add(`ok ${SAMPLES[id]!} ok`, '/x'))
    expect(found).toEqual({ signature: id, where: '/x' })
  })

  it('knows families and ids, and nothing else', () => {
    expect(isLeakKind('token')).toBe(true)
    expect(isLeakKind('token/jwt')).toBe(true)
    expect(isLeakKind('tokens')).toBe(false)
    expect(() => createLeakScanner(['nope'])).toThrow(/unknown leak signature nope/)
  })

  it('leaves out what is allowed', () => {
    const text = new ScanText().add('eyJhbGciOi.eyJzdWIiOi.sig at 10.1.1.1', '/x')
    expect(createLeakScanner(['token']).find(text)?.signature).toBe('internal-address/ipv4')
    expect(createLeakScanner(['token', 'internal-address']).find(text)).toBeUndefined()
  })

  it('names the place of a JSON leak by pointer, printable and escaped', () => {
    const text = new ScanText().addJson({ 'a/b': [{ 'k\u00e9y': 'at 10.0.0.1' }] })
    expect(scanner.find(text)).toEqual({
      signature: 'internal-address/ipv4',
      where: '/a~1b/0/k?y',
    })
  })
})
