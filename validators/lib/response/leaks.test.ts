import { describe, expect, it } from 'vitest'
import {
  DEFAULT_RESPONSE_VALIDATION,
  GatewayError,
  type HeaderList,
  type OpenApiDocument,
  type ResponseEnvelope,
} from '../../../core/index.js'
import { compileHosts } from '../schemas.js'
import { checkResponse } from './contract.js'
import { createLeakScanner, isLeakKind, ScanText } from './leaks.js'
import { compileResponseRulesFor } from './rules.js'
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
  'stack-trace/rust': 'note: run with `RUST_BACKTRACE=1`',
  'stack-trace/beam': '** (RuntimeError) boom',
  'stack-trace/bundler': 'webpack-internal:///./src/a.js',
  'sql-error/postgres': 'duplicate key value violates unique constraint "pk"',
  'sql-error/mysql': 'ER_NO_SUCH_TABLE',
  'sql-error/oracle': 'ORA-01756: quoted string not properly terminated',
  'sql-error/sqlite': 'sqlite3.OperationalError: locked',
  'sql-error/mssql': 'Conversion failed when converting the varchar value',
  'sql-error/driver': 'SequelizeDatabaseError',
  'internal-address/ipv4': '192.168.0.1',
  'internal-address/ipv6': 'fe80::1',
  'internal-address/hostname': 'http://localhost:3000/',
  'internal-address/connection-error': 'getaddrinfo ENOTFOUND orders',
  'internal-address/connection-uri': 'jdbc:sqlserver://sql01;databaseName=x',
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

/** An upstream with one JSON route and one text route, for cases through the contract. */
const doc: OpenApiDocument = {
  openapi: '3.1.0',
  info: { title: 'names', version: '1' },
  paths: {
    '/items/{id}': {
      get: {
        operationId: 'getItem',
        responses: {
          '200': {
            description: 'an item',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  additionalProperties: false,
                  properties: { id: { type: 'string' }, note: { type: 'string' } },
                },
              },
            },
          },
        },
      },
    },
    '/report': {
      get: {
        operationId: 'getReport',
        responses: { '200': { description: 'text', content: { 'text/plain': {} } } },
      },
    },
  },
}
const contract = {
  hosts: compileHosts({ names: doc }),
  rules: compileResponseRulesFor({ names: doc }, DEFAULT_RESPONSE_VALIDATION),
}

/** What the contract makes of an upstream answer: `pass`, or the refusal's code and reason. */
function verdict(body: string, options: { path?: string; headers?: HeaderList } = {}): string {
  const path = options.path ?? '/items/7'
  const env: ResponseEnvelope = {
    request: {
      requestId: 'leak00000000001',
      deadline: 1_700_000_010_000,
      method: 'GET',
      host: 'names',
      port: 443,
      path,
      query: '',
      edgeId: 'local',
      replyTo: 'pc.link.inbox.local.abc1',
    },
    status: 200,
    headers: options.headers ?? [
      ['content-type', path === '/report' ? 'text/plain' : 'application/json'],
    ],
    body: new TextEncoder().encode(
      path === '/report' ? body : JSON.stringify({ id: '7', note: body }),
    ),
  }
  try {
    checkResponse(env, contract)
    return 'pass'
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err
    return `${err.code} ${err.reason}`
  }
}

const LEAK = (id: string, where = '/note') => `RESPONSE_LEAK ${id} in ${where}`

describe('leak signatures through the response contract', () => {
  it.each([
    ['LEAK-010 a single-label host with a port in a URL', 'retry http://orders-db:5432/'],
    ['LEAK-011 a single-label host on a network scheme', 'see https://billing/api/v1/invoices'],
    ['LEAK-012 a data-store host and port without a scheme', 'cache redis:6379 is down'],
    ['LEAK-013 a Kubernetes service name', 'upstream orders.default.svc timed out'],
    ['LEAK-014 a cluster-local service URL', 'http://pay.prod.svc.cluster.local:8080/charge'],
    ['LEAK-015 a name under .internal without a scheme', 'connect to db.internal failed'],
    ['LEAK-016 the Docker host name', 'proxy host.docker.internal:3000'],
    ['LEAK-017 a name under .lan, .corp or .home.arpa', 'files on nas.lan and router.home.arpa'],
    ['LEAK-018 localhost with a port, in any case', 'LOCALHOST:8080 refused'],
    ['LEAK-019 a cloud host name that spells a private address', 'served by ip-10-0-1-23'],
  ])('%s', (_name, note) => {
    expect(verdict(note)).toBe(LEAK('internal-address/hostname'))
  })

  it.each([
    [
      'LEAK-020 Node: connect ECONNREFUSED with the address it tried',
      'connect ECONNREFUSED 34.1.2.3:5432',
    ],
    ['LEAK-021 Node: getaddrinfo ENOTFOUND', 'getaddrinfo ENOTFOUND orders'],
    ['LEAK-022 Go: dial tcp', 'dial tcp: lookup orders: no such host'],
    ['LEAK-023 Rust: an OS error code', 'Connection refused (os error 111)'],
    ['LEAK-024 Python: an errno and a connection pool', "HTTPConnectionPool(host='orders')"],
    ['LEAK-025 Ruby: connect(2) for a host', 'Connection refused - connect(2) for "orders"'],
    ['LEAK-026 PostgreSQL: is the server running on host', 'Is the server running on host "x"'],
    [
      'LEAK-027 curl and PHP: failed to connect to a host and port',
      'Failed to connect to x port 80',
    ],
    [
      'LEAK-028 .NET: the target machine actively refused it',
      'the target machine actively refused it',
    ],
    ['LEAK-029 Java: an unknown host', 'java.net.UnknownHostException: orders'],
  ])('%s', (_name, note) => {
    expect(verdict(note)).toMatch(
      /^RESPONSE_LEAK (internal-address\/connection-error|stack-trace\/java) in \/note$/,
    )
  })

  it.each([
    ['LEAK-030 a JDBC URL', 'jdbc:postgresql://orders:5432/orders'],
    ['LEAK-031 a MongoDB SRV connection string', 'mongodb+srv://cluster0.abcde.mongodb.net/x'],
    ['LEAK-032 a Redis URL to a public-looking host', 'redis://cache.example.net:6380/0'],
    ['LEAK-033 an AMQP URL', 'amqps://broker.example.net:5671'],
  ])('%s', (_name, note) => {
    expect(verdict(note)).toMatch(
      /^RESPONSE_LEAK internal-address\/(connection-uri|hostname) in \/note$/,
    )
  })

  it.each([
    ['LEAK-040 octal parts', 'from 0177.0.0.1'],
    ['LEAK-041 hex parts', 'from 0x7f.0.0.1'],
    ['LEAK-042 mixed bases that read as 192.168.1.1', 'from 0300.0250.1.1'],
    ['LEAK-043 a dotless decimal URL host', 'fetch http://2130706433/'],
    ['LEAK-044 a dotless hex URL host', 'fetch http://0x7f000001/'],
    ['LEAK-045 a dotless decimal beside a port', 'bound 167772161:5432'],
    ['LEAK-046 a shortened address in a URL', 'fetch http://127.1/'],
    ['LEAK-047 a shortened address beside a port', 'cache 10.1:6379'],
    ['LEAK-048 carrier-grade NAT 100.64/10', 'peer 100.64.0.1'],
    ['LEAK-049 the benchmarking range 198.18/15', 'peer 198.18.0.1'],
    ['LEAK-050 the cloud metadata address in octal', 'from 0251.0376.0251.0376'],
    ['LEAK-051 0.0.0.0 as a listening address', 'listening on 0.0.0.0:3000'],
  ])('%s', (_name, note) => {
    expect(verdict(note)).toBe(LEAK('internal-address/ipv4'))
  })

  it.each([
    ['LEAK-052 an IPv4-mapped IPv6 address in hex', 'peer ::ffff:7f00:1'],
    ['LEAK-053 an IPv6 site-local address', 'peer fec0::1'],
    ['LEAK-054 the IPv6 loopback with every zero', 'peer 0000:0000:0000:0000:0000:0000:0000:0001'],
  ])('%s', (_name, note) => {
    expect(verdict(note)).toBe(LEAK('internal-address/ipv6'))
  })

  it.each([
    [
      'LEAK-060 a webpack-internal module URL',
      'webpack-internal:///./src/pages/index.tsx',
      'bundler',
    ],
    ['LEAK-061 an eval frame of a dev server', 'x (eval at run (a), <anonymous>:1:1)', 'bundler'],
    ['LEAK-062 a source-mapped TypeScript location', 'failed in src/orders.tsx:12:3', 'bundler'],
    ['LEAK-063 a TypeScript compiler error', "error TS2345: Argument of type 'x'", 'bundler'],
    ['LEAK-064 a Deno frame under file:///', 'at async main (file:///app/main.ts:3:9)', 'node'],
    ['LEAK-065 a Deno internal frame', 'at handler (ext:deno_http/00_serve.js:1:2)', 'node'],
    ['LEAK-066 a Rust panic', "thread 'main' panicked at 'boom', src/main.rs:10:5", 'rust'],
    ['LEAK-067 a Ruby NoMethodError', "undefined method `name' for nil", 'ruby'],
    [
      'LEAK-068 a PHP uncaught exception with its file',
      'Uncaught Exception: x in /a/b.php:14',
      'php',
    ],
    ['LEAK-069 a Go source location', 'failed at handlers/orders.go:88', 'go'],
    ['LEAK-070 an Elixir exception', '** (RuntimeError) boom', 'beam'],
  ])('%s', (_name, note, kind) => {
    expect(verdict(note)).toBe(LEAK(`stack-trace/${kind}`))
  })

  it('LEAK-080 a new signature fires in a text body and in a response header too', () => {
    expect(verdict('error: dial tcp 1.2.3.4:5432', { path: '/report' })).toBe(
      LEAK('internal-address/connection-error', 'body'),
    )
    expect(
      verdict('fine', {
        headers: [
          ['content-type', 'application/json'],
          ['x-upstream', 'orders-db:5432'],
        ],
      }),
    ).toBe(LEAK('internal-address/hostname', 'header x-upstream'))
  })

  it.each([
    [
      'LEAK-090 times, versions, ratios and contrast ratios pass',
      'at 10:30:00, v10.0.0.1, 16:9, 10.5:1',
    ],
    [
      'LEAK-091 longer dotted numbers and out-of-range octets pass',
      '1.10.0.0.1 10.256.0.1 172.32.0.1',
    ],
    ['LEAK-092 the public host of the API passes', 'https://api.example.com/orders/1'],
    ['LEAK-093 a service file in a public URL passes', 'https://example.com/Service1.svc/rest'],
    ['LEAK-094 prose about connections passes', 'The connection was refused by your bank.'],
    ['LEAK-095 numbers that are not beside a port pass', 'total 2130706433 bytes, item 10.1'],
    ['LEAK-096 a deep link to the app passes', 'open myapp://orders/42'],
  ])('%s', (_name, note) => {
    expect(verdict(note)).toBe('pass')
  })
})
