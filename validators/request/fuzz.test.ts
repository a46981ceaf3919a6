/**
 * Generated input against the request validator's pure handler (fast-check): whatever a
 * compromised relay or a hostile client puts in an envelope, or whatever bytes arrive on
 * dreq, the answer is a verdict, never a throw; a refusal carries a code of the error table
 * with its status; and nothing outside the demo's routes is forwarded.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_REQUEST_VALIDATION,
  ERROR_TABLE,
  decodeResponse,
  encodeRequest,
  isErrorCode,
  subjects,
  type Method,
  type RequestEnvelope,
} from '../../core/index.js'
import { compileRequestHosts } from '../lib/index.js'
import { createRequestValidator, type RequestVerdict } from './handler.js'
import { demo } from '../testing/demo.js'
import { rawBusMessage } from '../testing/fuzz.js'

const hosts = compileRequestHosts({ demo }, DEFAULT_REQUEST_VALIDATION)
const validate = createRequestValidator({ deployment: 'PROD', hosts, maxBodyBytes: 1_000_000 })
const NOW = 1_700_000_000_000
const OPERATIONS = new Set(hosts.demo!.routes.routes.map((r) => r.operation))
const RUNS = { numRuns: 400 }

/** Characters that parsers trip on: separators, escapes, controls, look-alikes, surrogates. */
const tricky = fc.constantFrom(
  ...['/', '.', '%', '%2e', '%2f', '%00', '%c0%af', '\\', '\0', '\r', '\n', '?', '#', '&', '='],
  ...[';', "'", '"', '<', '>', '{', '}', '$', '`', '|', ' ', '\t', 'é', '\u202e', '\ud800'],
  ...['__proto__', 'constructor', '..', 'orders', 'notes', 'search', '1', 'a'],
)
const trickyText = fc.array(fc.oneof(tricky, fc.string({ maxLength: 6 })), { maxLength: 12 })
/** encodeURIComponent, with lone surrogates (which it cannot encode) as U+FFFD. */
const encode = (p: string) => encodeURIComponent(p.replace(/\p{Cs}/gu, '\ufffd'))
/** What the edge puts on the wire: percent-encoded, with encoded attack tokens kept as sent. */
const ENCODED_ATTACKS = [
  '%2e%2e',
  '%2E%2e',
  '%252e%252e',
  '%2f',
  '%5c',
  '%00',
  '%c0%af',
  '%ef%bc%8f',
]
const wireText = fc
  .array(fc.oneof(fc.constantFrom(...ENCODED_ATTACKS, '..', '.', '/', '//'), tricky, fc.string()), {
    maxLength: 10,
  })
  .map((parts) =>
    parts.map((p) => (ENCODED_ATTACKS.includes(p) || /^[./]+$/.test(p) ? p : encode(p))),
  )
const pathLike = fc.oneof(
  wireText.map((t) => `/${t.join('')}`),
  fc.constantFrom('/orders', '/orders/1', '/notes', '/search', '/ping', '/orders/../admin'),
  fc
    .tuple(fc.constantFrom('/orders/', '/notes/', '/search'), wireText)
    .map(([p, t]) => p + t.join('')),
)
const queryLike = fc.oneof(
  fc.constant(''),
  fc
    .array(
      fc.tuple(fc.oneof(fc.constantFrom('q', 'limit', 'item', '__proto__'), fc.string()), wireText),
    )
    .map((pairs) => pairs.map(([k, v]) => `${encode(k)}=${v.join('')}`).join('&')),
)
const headerName = fc.oneof(
  fc.constantFrom('content-type', 'content-length', 'transfer-encoding', 'host', 'cookie'),
  fc.constantFrom('x-forwarded-for', 'connection', 'te', 'upgrade', 'authorization'),
  fc.string({ minLength: 1, maxLength: 12 }),
)
const headerValue = fc.oneof(
  fc.constantFrom('application/json', 'text/plain', 'chunked', '0', '10', '-1', 'a\r\nb: c'),
  trickyText.map((t) => t.join('')),
)
const body = fc.oneof(
  fc.constant(new Uint8Array()),
  fc.uint8Array({ maxLength: 256 }),
  fc.jsonValue({ maxDepth: 4 }).map((v) => new TextEncoder().encode(JSON.stringify(v))),
  fc
    .record({ item: fc.string(), quantity: fc.oneof(fc.integer(), fc.double()) })
    .map((v) => new TextEncoder().encode(JSON.stringify(v))),
  trickyText.map((t) => new TextEncoder().encode(`{"item":"${t.join('')}","quantity":1}`)),
)

/** A request on one of the demo's routes, so the checks past routing see generated input. */
const routed = fc
  .tuple(
    fc.constantFrom(
      ['GET', '/orders'],
      ['GET', '/search'],
      ['POST', '/orders/1/notes'],
      ['POST', '/orders/%2e%2e/notes'],
      ['GET', '/orders/1'],
      ['GET', '/session'],
    ),
    queryLike,
    body,
    fc.oneof(
      { arbitrary: fc.constant([]), weight: 4 },
      { arbitrary: fc.array(fc.tuple(headerName, headerValue), { maxLength: 2 }), weight: 1 },
    ),
    fc.stringMatching(/^[0-9a-f]{32}$/),
  )
  .map(([[method, path], query, body, extra, requestId]) => ({
    requestId,
    host: 'demo',
    port: 443,
    method: method!,
    path: path!,
    query,
    body,
    headers: [['content-type', 'application/json'] as [string, string], ...extra],
  }))

const envelope: fc.Arbitrary<RequestEnvelope> = fc.record({
  requestId: fc.oneof(
    { arbitrary: fc.stringMatching(/^[0-9a-f]{32}$/), weight: 9 },
    { arbitrary: fc.string(), weight: 1 },
  ),
  deadline: fc.constant(NOW + 10_000),
  method: fc.oneof(
    {
      arbitrary: fc.constantFrom<Method>('GET', 'POST', 'GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'),
      weight: 9,
    },
    // Not a method the envelope type allows: what a compromised relay could still send.
    { arbitrary: fc.string({ maxLength: 8 }).map((m) => m as Method), weight: 1 },
  ),
  host: fc.constantFrom('demo', 'demo', 'demo', 'other'),
  port: fc.constantFrom(443, 443, 443, 443, 80, 8443, 0, 65535),
  path: pathLike,
  query: queryLike,
  edgeId: fc.constant('local'),
  replyTo: fc.constant('pc.link.inbox.local.abc1'),
  headers: fc.oneof(
    fc.constant([['content-type', 'application/json']] as Array<[string, string]>),
    fc.array(fc.tuple(headerName, headerValue), { maxLength: 4 }),
  ),
  body,
})

function checkVerdict(verdict: RequestVerdict): void {
  expect(['forward', 'reject', 'drop']).toContain(verdict.kind)
  if (verdict.kind === 'reject') {
    expect(isErrorCode(verdict.code)).toBe(true)
    const answer = decodeResponse(verdict.wire.headers, verdict.wire.data)
    expect(answer.error).toBe(verdict.code)
    expect(answer.status).toBe(ERROR_TABLE[verdict.code].status)
  }
  if (verdict.kind === 'forward') {
    expect(OPERATIONS.has(verdict.operation)).toBe(true)
    expect(verdict.request.host).toBe('demo')
    // Only a canonical path goes on: no dot segment, encoded separator, NUL or backslash.
    expect(verdict.request.path).not.toMatch(/%2e|%2f|%5c|%00|\\|\/\.\.?(\/|$)/i)
  }
}

describe('request validator under generated input', () => {
  it('FUZZ-001 any envelope a compromised relay could send gets a verdict with a known code, never a throw', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          envelope,
          fc.tuple(envelope, routed).map(([e, r]) => ({ ...e, ...r })),
        ),
        async (env) => {
          let wire: ReturnType<typeof encodeRequest>
          try {
            wire = encodeRequest(env)
          } catch {
            return // the sender's own encoder refuses it: it never reaches the bus
          }
          const subject = subjects.dirtyRequest('local', env.host)
          checkVerdict(await validate({ subject, headers: wire.headers, data: wire.data }, NOW))
        },
      ),
      RUNS,
    )
  })

  it('FUZZ-002 arbitrary headers and bytes on a dirty-request subject are dropped or refused, never a throw', async () => {
    await fc.assert(
      fc.asyncProperty(rawBusMessage(subjects.dirtyRequest('local', 'demo')), async (msg) => {
        const verdict = await validate(msg, NOW)
        checkVerdict(verdict)
        expect(verdict.kind).not.toBe('forward')
      }),
      RUNS,
    )
  })
})
