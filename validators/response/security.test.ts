/**
 * The response validator against what an upstream can leak or get wrong: one row per case,
 * each with what the client must get (status, code, body or nothing) and what it must never
 * see. Leak samples that look like live credentials are assembled at run time, so no
 * scanner mistakes this file for a leak of its own.
 */
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_RESPONSE_VALIDATION,
  decodeResponse,
  encodeResponse,
  subjects,
  type ErrorCode,
  type HeaderList,
  type Method,
  type OpenApiDocument,
  type ResponseEnvelope,
  type ResponseValidationPolicy,
} from '../../core/index.js'
import { compileHosts, compileResponseRulesFor } from '../lib/index.js'
import { createResponseValidator, type ResponseValidator } from './handler.js'

const NOW = 1_700_000_000_000
const REQUEST_ID = 'resp0000000042'
const JSON_TYPE: HeaderList = [['content-type', 'application/json']]

const json = (schema: unknown) => ({
  description: 'json',
  content: { 'application/json': { schema } },
})
const ITEM = { $ref: '#/components/schemas/Item' }

/** An upstream that exercises every step: closed and open schemas, both policies, text, bytes. */
const doc: OpenApiDocument = {
  openapi: '3.1.0',
  info: { title: 'leaky', version: '1' },
  paths: {
    '/items/{id}': {
      get: {
        operationId: 'getItem',
        responses: { '200': json(ITEM), '404': json({ $ref: '#/components/schemas/Error' }) },
      },
    },
    '/items': {
      get: {
        operationId: 'listItems',
        'x-portcullis-undeclared-fields': 'drop',
        responses: {
          '200': json({
            type: 'object',
            required: ['items'],
            additionalProperties: false,
            properties: {
              items: { type: 'array', items: ITEM },
              meta: { type: 'object' },
              counts: { type: 'object', additionalProperties: { type: 'integer' } },
              shape: {
                anyOf: [
                  {
                    type: 'object',
                    required: ['kind', 'radius'],
                    properties: { kind: { const: 'circle' }, radius: { type: 'number' } },
                  },
                  {
                    type: 'object',
                    required: ['kind', 'side'],
                    properties: { kind: { const: 'square' }, side: { type: 'number' } },
                  },
                ],
              },
            },
          }),
        },
      },
    },
    '/open': {
      get: {
        operationId: 'getOpen',
        responses: { '200': json({ type: 'object', properties: { a: { type: 'string' } } }) },
      },
    },
    '/session': {
      post: {
        operationId: 'login',
        'x-portcullis-allow-leaks': ['token/jwt'],
        responses: {
          '200': json({
            type: 'object',
            required: ['token'],
            additionalProperties: false,
            properties: { token: { type: 'string' } },
          }),
        },
      },
    },
    '/report': {
      get: {
        operationId: 'getReport',
        responses: {
          '200': { description: 'text', content: { 'text/plain': {}, 'text/csv': {} } },
        },
      },
    },
    '/logo': {
      get: {
        operationId: 'getLogo',
        responses: { '200': { description: 'png', content: { 'image/png': {} } } },
      },
    },
    '/items/{id}/remove': {
      delete: { operationId: 'removeItem', responses: { '204': { description: 'gone' } } },
    },
  },
  components: {
    schemas: {
      Item: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'name'],
        properties: {
          id: { type: 'string' },
          name: { type: 'string' },
          note: { type: 'string' },
          tags: { type: 'array', items: { type: 'string' } },
        },
      },
      Error: {
        type: 'object',
        additionalProperties: false,
        required: ['error'],
        properties: { error: { type: 'string' } },
      },
    },
  },
}

const hosts = compileHosts({ leaky: doc })
const validators = new Map<string, ResponseValidator>()
function validatorFor(policy: Partial<ResponseValidationPolicy> = {}): ResponseValidator {
  const key = JSON.stringify(policy)
  let v = validators.get(key)
  if (!v) {
    const rules = compileResponseRulesFor(
      { leaky: doc },
      { ...DEFAULT_RESPONSE_VALIDATION, ...policy },
    )
    v = createResponseValidator({ hosts, rules })
    validators.set(key, v)
  }
  return v
}

interface Case {
  method?: Method
  path?: string
  status?: number
  headers?: HeaderList
  /** An object is sent as JSON; a string or bytes as they are. */
  body?: unknown
  policy?: Partial<ResponseValidationPolicy>
  expect: {
    status: number
    code?: ErrorCode
    /** The verdict's reason (for the log and the audit trail). */
    reason?: string | RegExp
    /** The JSON body the client gets; for a pass without it, the upstream's bytes. */
    json?: unknown
    headers?: HeaderList
    dropped?: string[]
  }
  /** Text that must appear nowhere in what the client gets. */
  secret?: string
}

const item = (note: string, extra: Record<string, unknown> = {}) => ({
  id: '7',
  name: 'tea',
  note,
  ...extra,
})
const leak = (reason: string | RegExp): Case['expect'] => ({
  status: 502,
  code: 'RESPONSE_LEAK',
  reason,
})
const refused = (reason?: string | RegExp): Case['expect'] => ({
  status: 502,
  code: 'RESPONSE_SCHEMA_VIOLATION',
  ...(reason ? { reason } : {}),
})
const passes: Case['expect'] = { status: 200 }
/** A refusal of the answer to a non-safe request: the write may have been applied. */
const afterWrite = (code: ErrorCode, reason: string): Case['expect'] => ({
  status: 502,
  code: 'WRITE_OUTCOME_UNKNOWN',
  reason: `${code}: ${reason}`,
})

// Samples assembled at run time (see the file comment).
const AWS_KEY = ['AKIA', 'IOSFODNN7', 'EXAMPLE'].join('')
const GITHUB_TOKEN = ['ghp', '_', 'R9x2Lm4Qp7Vt1Zc8Hs5Kd3Nw6Jy0Bf2Ea4Gu'].join('')
const SLACK_TOKEN = ['xox', 'b-', '1234567890-0987654321-', 'AbCdEfGhIjKlMnOpQrStUvWx'].join('')
const GCP_API_KEY = ['AI', 'za', 'SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q'].join('')
const JWT = [
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9',
  'eyJzdWIiOiJhbGljZSIsInJvbGUiOiJhZG1pbiJ9',
  'c2lnbmF0dXJlLW5vdC1yZWFsLWJ1dC1zaGFwZWQ',
].join('.')
const PEM = (kind: string) =>
  [`-----BEGIN ${kind}PRIVATE KEY-----`, 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC', '-----END'].join('\n')
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])

const CASES: Array<[string, Case]> = [
  // Stack traces
  [
    'RESP-005 a Node stack trace in a declared string member',
    {
      body: item('Error: boom\n    at Repo.find (/srv/app/repo.js:41:13)\n    at async main'),
      expect: leak('stack-trace/node in /note'),
      secret: 'repo.js',
    },
  ],
  [
    'RESP-006 a Node stack trace spelled with JSON escapes',
    {
      body: '{"id":"7","name":"tea","note":"Error: boom\\n\\u0020\\u0020\\u0020\\u0020at handler (/srv/app/x.js:3:9)"}',
      expect: leak('stack-trace/node in /note'),
      secret: 'x.js',
    },
  ],
  [
    'RESP-007 a Java stack frame',
    {
      body: item('java.lang.IllegalStateException\n\tat com.acme.orders.Repo.find(Repo.java:42)'),
      expect: leak('stack-trace/java in /note'),
      secret: 'Repo.java',
    },
  ],
  [
    'RESP-008 a Java uncaught exception header',
    {
      body: item('Exception in thread "main" java.lang.NullPointerException'),
      expect: leak('stack-trace/java in /note'),
    },
  ],
  [
    'RESP-009 a Python traceback',
    {
      body: item('Traceback (most recent call last):\n  File "app.py", line 12, in <module>'),
      expect: leak('stack-trace/python in /note'),
    },
  ],
  [
    'RESP-010 a Go panic with its goroutine dump',
    {
      body: item('panic: runtime error\n\ngoroutine 1 [running]:\nmain.main()\n\tmain.go:12 +0x1d'),
      expect: leak('stack-trace/go in /note'),
    },
  ],
  [
    'RESP-011 a .NET stack frame with its source line',
    {
      body: item('   at Orders.Api.Repo.Find(Int32 id) in D:\\build\\Repo.cs:line 42'),
      expect: leak('stack-trace/dotnet in /note'),
    },
  ],
  [
    'RESP-012 a PHP stack trace',
    {
      body: item('Stack trace:\n#0 /var/www/html/index.php(12): db_query()\n#1 {main}'),
      expect: leak('stack-trace/php in /note'),
    },
  ],
  [
    'RESP-013 a Ruby backtrace line',
    {
      body: item("app/models/order.rb:12:in `find'"),
      expect: leak('stack-trace/ruby in /note'),
    },
  ],
  [
    'RESP-014 a stack trace in a text/plain body',
    {
      path: '/report',
      headers: [['content-type', 'text/plain; charset=utf-8']],
      body: 'report failed\nError: timeout\n    at Timeout._onTimeout (/opt/svc/report.js:88:11)\n',
      expect: leak('stack-trace/node in body'),
    },
  ],
  [
    'RESP-015 a stack trace in an undeclared member on a drop route is refused, not redacted',
    {
      path: '/items',
      body: { items: [], debug: 'Error: x\n    at run (/srv/app/jobs.js:1:2)' },
      expect: leak('stack-trace/node in /debug'),
    },
  ],
  [
    'RESP-016 a stack trace in a declared error body',
    {
      status: 404,
      body: { error: 'not found\n    at lookup (/srv/app/find.js:9:1)' },
      expect: leak('stack-trace/node in /error'),
    },
  ],
  [
    'RESP-017 a stack trace on an undeclared status is reported as the leak it is',
    {
      status: 500,
      body: { error: 'Error: x\n    at run (/srv/app/jobs.js:1:2)' },
      expect: leak('stack-trace/node in /error'),
    },
  ],
  // SQL error text
  [
    'RESP-018 PostgreSQL: relation does not exist',
    {
      body: item('error: relation "users" does not exist'),
      expect: leak('sql-error/postgres in /note'),
    },
  ],
  [
    'RESP-019 PostgreSQL: syntax error at or near',
    {
      body: item('ERROR:  syntax error at or near "FROM" at character 15'),
      expect: leak('sql-error/postgres in /note'),
    },
  ],
  [
    'RESP-020 MySQL: an error in your SQL syntax',
    {
      body: item(
        "You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near ''' at line 1",
      ),
      expect: leak('sql-error/mysql in /note'),
    },
  ],
  [
    'RESP-021 MySQL: duplicate entry for key',
    {
      body: item("Duplicate entry 'alice@example.com' for key 'users.email'"),
      expect: leak('sql-error/mysql in /note'),
    },
  ],
  [
    'RESP-022 Oracle: ORA- error code',
    {
      body: item('ORA-00942: table or view does not exist'),
      expect: leak('sql-error/oracle in /note'),
    },
  ],
  [
    'RESP-023 SQLite: no such table',
    { body: item('SQLITE_ERROR: no such table: users'), expect: leak('sql-error/sqlite in /note') },
  ],
  [
    'RESP-024 SQL Server: unclosed quotation mark',
    {
      body: item("Unclosed quotation mark after the character string 'x'."),
      expect: leak('sql-error/mssql in /note'),
    },
  ],
  [
    'RESP-025 SQL Server: Msg, Level, State',
    {
      body: item("Msg 102, Level 15, State 1, Line 1\nIncorrect syntax near 'x'."),
      expect: leak('sql-error/mssql in /note'),
    },
  ],
  [
    'RESP-026 a driver SQLSTATE',
    {
      body: item('SQLSTATE[42S02]: Base table or view not found'),
      expect: leak(/^sql-error\/(mysql|driver) in \/note$/),
    },
  ],
  // Internal addresses
  [
    'RESP-027 an RFC 1918 10/8 address with its port',
    {
      body: item('connect ECONNREFUSED 10.0.3.7:5432'),
      expect: leak('internal-address/ipv4 in /note'),
      secret: '10.0.3.7',
    },
  ],
  [
    'RESP-028 an RFC 1918 172.16/12 address',
    { body: item('upstream 172.20.1.5 is down'), expect: leak('internal-address/ipv4 in /note') },
  ],
  [
    'RESP-029 an RFC 1918 192.168/16 address in a URL',
    {
      body: item('see http://192.168.1.10/admin'),
      expect: leak('internal-address/ipv4 in /note'),
    },
  ],
  [
    'RESP-030 a loopback address',
    { body: item('bound to 127.0.0.1'), expect: leak('internal-address/ipv4 in /note') },
  ],
  [
    'RESP-031 a link-local address (the cloud metadata service)',
    {
      body: item('fetched http://169.254.169.254/latest/meta-data'),
      expect: leak('internal-address/ipv4 in /note'),
    },
  ],
  [
    'RESP-032 the IPv6 loopback',
    { body: item('listening on [::1]:8080'), expect: leak('internal-address/ipv6 in /note') },
  ],
  [
    'RESP-033 an IPv6 unique local address',
    { body: item('peer fd12:3456:789a:1::1'), expect: leak('internal-address/ipv6 in /note') },
  ],
  [
    'RESP-034 an IPv6 link-local address with its zone',
    {
      body: item('via fe80::1ff:fe23:4567:890a%eth0'),
      expect: leak('internal-address/ipv6 in /note'),
    },
  ],
  [
    'RESP-035 an IPv4-mapped IPv6 address',
    { body: item('client ::ffff:10.1.2.3'), expect: leak('internal-address/ipv4 in /note') },
  ],
  [
    'RESP-036 an internal host name in a URL',
    {
      body: item('jdbc:postgresql://orders-db.internal:5432/orders'),
      expect: leak('internal-address/hostname in /note'),
    },
  ],
  [
    'RESP-037 an internal address in a response header',
    {
      headers: [...JSON_TYPE, ['x-served-by', 'node 10.2.0.14']],
      body: item('fine'),
      expect: leak('internal-address/ipv4 in header x-served-by'),
    },
  ],
  // File paths
  [
    'RESP-038 a path under /home',
    { body: item('loaded /home/deploy/app/config.yml'), expect: leak('file-path/unix in /note') },
  ],
  [
    'RESP-039 a path under /var',
    {
      body: item('template /var/www/html/index.php missing'),
      expect: leak('file-path/unix in /note'),
    },
  ],
  [
    'RESP-040 a path under /usr',
    {
      body: item('module /usr/lib/node_modules/express not found'),
      expect: leak('file-path/unix in /note'),
    },
  ],
  [
    'RESP-041 a Windows drive path',
    {
      body: item('cannot open C:\\inetpub\\wwwroot\\web.config'),
      expect: leak('file-path/windows in /note'),
    },
  ],
  [
    'RESP-042 a Windows share path',
    { body: item('copied to \\\\fileserver\\exports'), expect: leak('file-path/windows in /note') },
  ],
  // Private keys
  [
    'RESP-043 a PEM RSA private key',
    { body: item(PEM('RSA ')), expect: leak('private-key/pem in /note'), secret: 'MIIEvQ' },
  ],
  [
    'RESP-044 an OpenSSH private key',
    { body: item(PEM('OPENSSH ')), expect: leak('private-key/pem in /note') },
  ],
  [
    'RESP-045 a PKCS#8 private key in a text body',
    {
      path: '/report',
      headers: [['content-type', 'text/plain']],
      body: PEM(''),
      expect: leak('private-key/pem in body'),
    },
  ],
  // Tokens and credentials
  [
    'RESP-046 a JWT in the body',
    { body: item(`session ${JWT}`), expect: leak('token/jwt in /note'), secret: JWT },
  ],
  [
    'RESP-047 a bearer token in the body',
    {
      body: item('retry with Bearer 4f9a1c7e2b8d4e6fa0c3b5d7e9f1a2c4'),
      expect: leak('token/bearer in /note'),
    },
  ],
  [
    'RESP-048 a JWT in a response header',
    {
      headers: [...JSON_TYPE, ['x-debug-token', JWT]],
      body: item('fine'),
      expect: leak('token/jwt in header x-debug-token'),
    },
  ],
  [
    'RESP-049 a URL with a password',
    {
      body: item('db postgres://app:hunter2@db.example.com/orders'),
      expect: leak('credential/url-password in /note'),
      secret: 'hunter2',
    },
  ],
  // Cloud keys
  [
    'RESP-050 an AWS access key id',
    { body: item(`key ${AWS_KEY}`), expect: leak('cloud-key/aws-access-key in /note') },
  ],
  [
    'RESP-051 an AWS secret access key',
    {
      body: {
        id: '7',
        name: 'tea',
        note: 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      },
      expect: leak('cloud-key/aws-secret-key in /note'),
    },
  ],
  [
    'RESP-052 a GCP service account key file (its private key)',
    {
      path: '/items',
      body: {
        items: [],
        meta: {
          type: 'service_account',
          private_key_id: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
          private_key: PEM(''),
        },
      },
      expect: leak(/^(private-key\/pem|cloud-key\/gcp) in \/meta/),
    },
  ],
  [
    'RESP-053 a GCP service account private_key_id member',
    {
      path: '/items',
      body: { items: [], meta: { private_key_id: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678' } },
      expect: leak('cloud-key/gcp in /meta/private_key_id'),
    },
  ],
  [
    'RESP-054 a Google API key',
    { body: item(GCP_API_KEY), expect: leak('cloud-key/gcp in /note') },
  ],
  [
    'RESP-055 an Azure storage connection string',
    {
      body: item(
        'DefaultEndpointsProtocol=https;AccountName=orders;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq==;EndpointSuffix=core.windows.net',
      ),
      expect: leak('cloud-key/azure in /note'),
    },
  ],
  [
    'RESP-056 an Azure Service Bus shared access key',
    {
      body: item(
        'Endpoint=sb://orders.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c=',
      ),
      expect: leak('cloud-key/azure in /note'),
    },
  ],
  [
    'RESP-057 a GitHub token',
    { body: item(GITHUB_TOKEN), expect: leak('cloud-key/github in /note') },
  ],
  ['RESP-058 a Slack token', { body: item(SLACK_TOKEN), expect: leak('cloud-key/slack in /note') }],
  [
    'RESP-059 an internal address inside a cookie value',
    {
      headers: [...JSON_TYPE, ['set-cookie', 'backend=10.0.0.9; Path=/']],
      body: item('fine'),
      expect: leak('internal-address/ipv4 in header set-cookie'),
    },
  ],
  // Allow lists
  [
    'RESP-060 a route that allows token/jwt (a login) may answer with its token',
    {
      method: 'POST',
      path: '/session',
      body: { token: JWT },
      expect: { status: 200, json: { token: JWT } },
    },
  ],
  [
    'RESP-061 the allowance is per signature: the login route still refuses a cloud key',
    {
      method: 'POST',
      path: '/session',
      body: { token: AWS_KEY },
      expect: afterWrite('RESPONSE_LEAK', 'cloud-key/aws-access-key in /token'),
    },
  ],
  [
    'RESP-062 a JWT session cookie passes, hardened',
    {
      headers: [...JSON_TYPE, ['set-cookie', `session=${JWT}; Path=/`]],
      body: item('fine'),
      expect: {
        status: 200,
        headers: [['set-cookie', `session=${JWT}; Path=/; HttpOnly; Secure; SameSite=Strict`]],
      },
    },
  ],
  [
    'RESP-063 a family allowed in the config is not checked on any route',
    {
      body: item('bound to 127.0.0.1'),
      policy: { allowLeaks: ['internal-address'] },
      expect: passes,
    },
  ],
  // Undeclared members
  [
    'RESP-064 policy refuse: a member an open schema does not declare',
    {
      path: '/open',
      body: { a: 'x', internalId: 'u-1932' },
      expect: refused('undeclared member /internalId'),
      secret: 'u-1932',
    },
  ],
  [
    'RESP-065 policy refuse from the config applies to every route without the extension',
    {
      body: { id: '7', name: 'tea', cost: 3 },
      expect: refused('undeclared member /cost'),
    },
  ],
  [
    'RESP-066 policy drop from the config: the member is dropped, the rest passes',
    {
      path: '/open',
      body: { a: 'x', internalId: 'u-1932' },
      policy: { undeclaredFields: 'drop' },
      expect: { status: 200, json: { a: 'x' }, dropped: ['/internalId'] },
      secret: 'u-1932',
    },
  ],
  [
    'RESP-067 policy drop on the route: nested members in arrays are dropped',
    {
      path: '/items',
      body: {
        items: [
          { id: '1', name: 'a', cost: 1 },
          { id: '2', name: 'b', owner: { email: 'x@example.com' } },
        ],
        shard: 'eu-3',
      },
      expect: {
        status: 200,
        json: {
          items: [
            { id: '1', name: 'a' },
            { id: '2', name: 'b' },
          ],
        },
        dropped: ['/items/0/cost', '/items/1/owner', '/shard'],
      },
      secret: 'x@example.com',
    },
  ],
  [
    'RESP-068 policy drop: a member called __proto__ is dropped, nothing is polluted',
    {
      path: '/items',
      body: '{"items":[{"id":"1","name":"a","__proto__":{"admin":true}}]}',
      expect: {
        status: 200,
        json: { items: [{ id: '1', name: 'a' }] },
        dropped: ['/items/0/__proto__'],
      },
    },
  ],
  [
    'RESP-069 policy drop: the members of the anyOf branch that matches are kept',
    {
      path: '/items',
      body: { items: [], shape: { kind: 'square', side: 2, color: 'red' } },
      expect: {
        status: 200,
        json: { items: [], shape: { kind: 'square', side: 2 } },
        dropped: ['/shape/color'],
      },
    },
  ],
  [
    'RESP-070 policy drop: what remains must still match the schema',
    {
      path: '/items',
      body: { things: [] },
      expect: refused("/ must have required property 'items'"),
    },
  ],
  [
    'RESP-071 policy drop: map members (additionalProperties) and free-form objects are declared',
    {
      path: '/items',
      body: { items: [], counts: { tea: 2, cake: 1 }, meta: { page: 1, next: 'b' } },
      expect: {
        status: 200,
        json: { items: [], counts: { tea: 2, cake: 1 }, meta: { page: 1, next: 'b' } },
      },
    },
  ],
  // Content type and body
  [
    'RESP-072 declared JSON that does not parse',
    { body: '{"id":"7","name":', expect: refused('invalid JSON at /name') },
  ],
  [
    'RESP-073 JSON in another charset than UTF-8',
    {
      headers: [['content-type', 'application/json; charset=utf-16']],
      body: item('x'),
      expect: refused('JSON in charset utf-16'),
    },
  ],
  [
    'RESP-074 two Content-Type headers',
    {
      headers: [...JSON_TYPE, ['content-type', 'text/html']],
      body: item('x'),
      expect: refused('more than one content type'),
    },
  ],
  [
    'RESP-075 HTML on a status that declares only JSON',
    {
      headers: [['content-type', 'text/html']],
      body: '<html><script>alert(1)</script></html>',
      expect: refused('content type not declared for the status'),
    },
  ],
  [
    'RESP-076 a body that is not the image its type says',
    {
      path: '/logo',
      headers: [['content-type', 'image/png']],
      body: '<svg onload=alert(1)>',
      expect: refused('body is not image/png'),
    },
  ],
  [
    'RESP-077 invalid UTF-8 in a text body',
    {
      path: '/report',
      headers: [['content-type', 'text/plain']],
      body: new Uint8Array([0x6f, 0x6b, 0xff, 0xfe]),
      expect: refused('body is not valid UTF-8'),
    },
  ],
  [
    'RESP-078 JSON nested deeper than the policy allows is refused without a crash',
    {
      path: '/items',
      body: `{"items":[],"meta":${'{"d":'.repeat(100_000)}1${'}'.repeat(100_000)}}`,
      expect: refused('body nests deeper than 64'),
    },
  ],
  [
    'RESP-079 a body on a status that declares none',
    {
      method: 'DELETE',
      path: '/items/7/remove',
      status: 204,
      body: item('x'),
      expect: afterWrite('RESPONSE_SCHEMA_VIOLATION', 'status 204 declares no content'),
    },
  ],
  [
    'RESP-080 nosniff replaces what the upstream sent; banners go',
    {
      headers: [
        ...JSON_TYPE,
        ['x-content-type-options', 'sniff-away'],
        ['x-aspnetmvc-version', '5.2'],
        ['server', 'Kestrel'],
      ],
      body: item('fine'),
      expect: {
        status: 200,
        headers: [
          ['content-type', 'application/json'],
          ['x-content-type-options', 'nosniff'],
        ],
      },
      secret: 'Kestrel',
    },
  ],
  // Cookies
  [
    'RESP-081 a cookie is forced Secure, HttpOnly and SameSite=Strict (None replaced)',
    {
      headers: [...JSON_TYPE, ['set-cookie', 'sid=abc123; Path=/; SameSite=None']],
      body: item('fine'),
      expect: {
        status: 200,
        headers: [['set-cookie', 'sid=abc123; Path=/; HttpOnly; Secure; SameSite=Strict']],
      },
    },
  ],
  [
    'RESP-082 known cookie attributes are kept, unknown ones dropped',
    {
      headers: [
        ...JSON_TYPE,
        [
          'set-cookie',
          'sid=a%20b; Domain=example.com; Max-Age=60; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Debug=on',
        ],
      ],
      body: item('fine'),
      expect: {
        status: 200,
        headers: [
          [
            'set-cookie',
            'sid=a%20b; Max-Age=60; Domain=example.com; Expires=Wed, 21 Oct 2026 07:28:00 GMT; HttpOnly; Secure; SameSite=Strict',
          ],
        ],
      },
    },
  ],
  [
    'RESP-083 a cookie without a name is refused',
    {
      headers: [...JSON_TYPE, ['set-cookie', 'justavalue']],
      body: item('fine'),
      expect: refused('set-cookie has an invalid name'),
    },
  ],
  [
    'RESP-084 a cookie value outside the RFC 6265 grammar is refused',
    {
      headers: [...JSON_TYPE, ['set-cookie', 'sid=a b c; Path=/']],
      body: item('fine'),
      expect: refused('set-cookie has an invalid value'),
    },
  ],
  [
    'RESP-085 SameSite=Lax from the config',
    {
      headers: [...JSON_TYPE, ['set-cookie', 'sid=1; SameSite=Strict']],
      body: item('fine'),
      policy: { cookieSameSite: 'Lax' },
      expect: {
        status: 200,
        headers: [['set-cookie', 'sid=1; HttpOnly; Secure; SameSite=Lax']],
      },
    },
  ],
  // Legitimate answers that look suspicious
  [
    'RESP-086 version strings shaped like private addresses pass',
    {
      body: item('v10.0.0.1, build 10.0.0.1-beta, release 1.10.0.0.1, 192.168.1000.1, 172.32.0.1'),
      expect: passes,
    },
  ],
  [
    'RESP-087 apostrophes and quotes pass',
    { body: item("O'Brien's order; it's 'fine' and \"quoted\" -- really"), expect: passes },
  ],
  [
    'RESP-088 public addresses pass',
    { body: item('resolver 8.8.8.8, docs 2001:db8::1, cdn 93.184.216.34'), expect: passes },
  ],
  [
    'RESP-089 links and routes that share a prefix with system paths pass',
    {
      body: item('https://shop.example.com/var/items/1 and /orders/1 and /homepage'),
      expect: passes,
    },
  ],
  [
    'RESP-090 a public certificate passes',
    {
      body: item('-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----'),
      expect: passes,
    },
  ],
  [
    'RESP-091 times, ratios, ids and hashes pass',
    {
      body: item(
        'meet at 10:30:00, ratio 3:2, id fd12ab34-5678-4cde-9f01-23456789abcd, sha 9f86d081884c7d659a2feaa0c55ad015',
      ),
      expect: passes,
    },
  ],
  [
    'RESP-092 prose about errors and selections passes',
    {
      body: item('Select a size. If there is an error in your order, the manual explains it.'),
      expect: passes,
    },
  ],
  [
    'RESP-093 a long valid body passes unchanged',
    {
      path: '/items',
      body: {
        items: Array.from({ length: 4000 }, (_, i) => ({
          id: String(i),
          name: `item ${i} of O'Brien's shop`,
          tags: ['tea', 'v1.2.3'],
        })),
      },
      expect: passes,
    },
  ],
  [
    'RESP-094 a PNG that is one passes as bytes',
    {
      path: '/logo',
      headers: [['content-type', 'image/png']],
      body: PNG,
      expect: passes,
    },
  ],
]

function bodyBytes(body: unknown): Uint8Array {
  if (body === undefined) return new Uint8Array()
  if (body instanceof Uint8Array) return body
  return new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body))
}

function run(c: Case) {
  const method = c.method ?? 'GET'
  const path = c.path ?? '/items/7'
  const upstream: ResponseEnvelope = {
    request: {
      requestId: REQUEST_ID,
      deadline: NOW + 10_000,
      method,
      host: 'leaky',
      port: 443,
      path,
      query: '',
      edgeId: 'local',
      replyTo: 'pc.link.inbox.local.abc1',
    },
    status: c.status ?? 200,
    headers: c.headers ?? JSON_TYPE,
    body: bodyBytes(c.body),
  }
  const wire = encodeResponse(upstream)
  const verdict = validatorFor(c.policy)(
    { subject: subjects.dirtyResponse('leaky'), headers: wire.headers, data: wire.data },
    NOW,
  )
  if (verdict.kind !== 'publish') throw new Error(`expected a publish, got ${verdict.reason}`)
  return { upstream, verdict, out: decodeResponse(verdict.wire.headers, verdict.wire.data) }
}

describe('response validator: security cases', () => {
  it.each(CASES)('%s', (_name, c) => {
    const { upstream, verdict, out } = run(c)
    const e = c.expect
    expect(out.status).toBe(e.status)
    expect(out.error).toBe(e.code)
    expect(out.request.requestId).toBe(REQUEST_ID)
    expect(verdict.kind === 'publish' && verdict.refused).toBe(e.code !== undefined)
    if (e.reason !== undefined) {
      const reason = verdict.kind === 'publish' ? verdict.reason : undefined
      if (typeof e.reason === 'string') expect(reason).toBe(e.reason)
      else expect(reason).toMatch(e.reason)
    }
    if (e.code) {
      // A refusal carries nothing of the upstream's: no body, no header, no detail (but the
      // refused code, when the upstream may have applied a write).
      expect(out.body.length).toBe(0)
      expect(out.headers).toEqual([])
      if (e.code === 'WRITE_OUTCOME_UNKNOWN') {
        expect(out.detail).toMatch(/^the upstream answered and its answer was refused \(\w+\)$/)
      } else expect(out.detail).toBeUndefined()
    } else if (e.json !== undefined) {
      expect(JSON.parse(new TextDecoder().decode(out.body))).toEqual(e.json)
    } else {
      expect(out.body).toEqual(upstream.body)
    }
    if (!e.code) expect(out.headers).toContainEqual(['x-content-type-options', 'nosniff'])
    for (const header of e.headers ?? []) expect(out.headers).toContainEqual(header)
    if (e.dropped) expect(verdict.kind === 'publish' && verdict.dropped).toEqual(e.dropped)
    if (c.secret) {
      const seen = JSON.stringify(out.headers) + new TextDecoder().decode(out.body)
      expect(seen).not.toContain(c.secret)
      expect(out.detail ?? '').not.toContain(c.secret)
    }
    // The reason names a signature and a place, never the leaked text itself.
    if (c.secret && verdict.kind === 'publish') expect(verdict.reason ?? '').not.toContain(c.secret)
  })

  it('has at least 60 cases, each id once', () => {
    const ids = CASES.map(([name]) => name.slice(0, 8))
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids.length).toBeGreaterThanOrEqual(60)
  })
})
