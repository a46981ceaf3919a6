/**
 * Generated upstream answers against the response validator's pure handler (fast-check):
 * whatever status, headers and body a compromised upstream or backend connector sends, the
 * answer is a verdict, never a throw; what reaches the client carries no banner header, only
 * hardened cookies, a status of the HTTP range, a known code when refused, and never a
 * secret planted anywhere in the body.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeResponse,
  encodeResponse,
  isErrorCode,
  subjects,
  type HeaderList,
  type Method,
  type ResponseEnvelope,
} from '../../core/index.js'
import { compileHosts, compileResponseRulesFor } from '../lib/index.js'
import { createResponseValidator, type ResponseVerdict } from './handler.js'
import { demo } from '../testing/demo.js'
import { rawBusMessage } from '../testing/fuzz.js'

const validate = createResponseValidator({
  hosts: compileHosts({ demo }),
  rules: compileResponseRulesFor({ demo }),
})
const NOW = 1_700_000_000_000
const RUNS = { numRuns: 400 }
const text = (s: string) => new TextEncoder().encode(s)

/** Secrets no answer may carry, whatever surrounds them. */
const SECRETS = [
  ['AKIA', 'IOSFODNN7', 'EXAMPLE'].join(''),
  ['-----BEGIN ', 'PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END'].join(''),
]

const operations = fc.constantFrom(
  ['GET', '/orders', 'listOrders'],
  ['GET', '/orders/1', 'getOrder'],
  ['POST', '/orders/1/notes', 'addNote'],
  ['GET', '/session', 'getSession'],
  ['GET', '/search', 'searchOrders'],
)
const headerName = fc.oneof(
  fc.constantFrom('content-type', 'set-cookie', 'server', 'x-powered-by', 'set-cookie'),
  fc.constantFrom('x-internal-host', 'content-length', 'location', 'cache-control', 'x-debug'),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/),
)
const headerValue = fc.oneof(
  fc.constantFrom('application/json', 'text/plain', 'text/html', 'application/json; charset=utf-8'),
  fc.constantFrom('sid=abc', 'sid=abc; Secure', 'a=b; HttpOnly; SameSite=None', 'nginx/1.2'),
  fc.string({ maxLength: 30 }).filter((v) => !/[\r\n\0]/.test(v)),
)
const body = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc
    .record({
      id: fc.string(),
      item: fc.string(),
      quantity: fc.integer(),
      createdAt: fc.constant('2024-01-01T00:00:00.000Z'),
    })
    .map((v) => JSON.stringify(v)),
)

/** A body with one of the secrets planted in a string, somewhere in generated JSON. */
const plantedBody = fc
  .tuple(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(...SECRETS), fc.string({ maxLength: 8 }))
  .map(([value, secret, around]) =>
    JSON.stringify({ id: '1', item: `${around}${secret}${around}`, quantity: 1, extra: value }),
  )

const answer = fc.record({
  op: operations,
  status: fc.oneof(
    { arbitrary: fc.constant(200), weight: 6 },
    { arbitrary: fc.constantFrom(201, 204, 302, 400, 404, 500, 503), weight: 2 },
    { arbitrary: fc.integer({ min: 100, max: 599 }), weight: 1 },
  ),
  headers: fc
    .array(fc.tuple(headerName, headerValue), { maxLength: 5 })
    .map((extra) => [['content-type', 'application/json'] as [string, string], ...extra]),
  body: fc.oneof({ arbitrary: body, weight: 3 }, { arbitrary: plantedBody, weight: 1 }),
})

function envelopeOf(a: {
  op: readonly string[]
  status: number
  headers: Array<[string, string]>
  body: string | Uint8Array
}): ResponseEnvelope {
  const [method, path, operation] = a.op as [Method, string, string]
  return {
    request: {
      requestId: '0123456789abcdef0123456789abcdef',
      deadline: NOW + 10_000,
      method,
      host: 'demo',
      port: 443,
      path,
      query: '',
      edgeId: 'local',
      replyTo: 'pc.link.inbox.local.abc1',
      operation,
    },
    status: a.status,
    headers: a.headers as HeaderList,
    body: typeof a.body === 'string' ? text(a.body) : a.body,
  }
}

function checkVerdict(verdict: ResponseVerdict): void {
  expect(['publish', 'drop']).toContain(verdict.kind)
  if (verdict.kind !== 'publish') return
  const out = decodeResponse(verdict.wire.headers, verdict.wire.data)
  expect(out.status).toBeGreaterThanOrEqual(100)
  expect(out.status).toBeLessThan(600)
  if (verdict.code !== undefined) expect(isErrorCode(verdict.code)).toBe(true)
  for (const [name, value] of out.headers) {
    expect(['server', 'x-powered-by']).not.toContain(name.toLowerCase())
    if (name.toLowerCase() === 'set-cookie') {
      expect(value).toMatch(/;\s*Secure/i)
      expect(value).toMatch(/;\s*HttpOnly/i)
      expect(value).toMatch(/;\s*SameSite=Strict/i)
    }
  }
  const sent = new TextDecoder().decode(out.body)
  for (const secret of SECRETS) expect(sent).not.toContain(secret)
}

describe('response validator under generated answers', () => {
  it('FUZZ-101 any answer an upstream could give is published without banners, with hardened cookies and without a planted secret, never a throw', () => {
    fc.assert(
      fc.property(answer, (a) => {
        let wire: ReturnType<typeof encodeResponse>
        try {
          wire = encodeResponse(envelopeOf(a))
        } catch {
          return // the connector's own encoder refuses it: it never reaches the bus
        }
        const subject = subjects.dirtyResponse('demo')
        checkVerdict(validate({ subject, headers: wire.headers, data: wire.data }, NOW))
      }),
      RUNS,
    )
  })

  it('FUZZ-102 arbitrary headers and bytes on a dirty-response subject are dropped, never a throw', () => {
    fc.assert(
      fc.property(rawBusMessage(subjects.dirtyResponse('demo')), (msg) => {
        const verdict = validate(msg, NOW)
        checkVerdict(verdict)
        expect(verdict.kind).toBe('drop')
      }),
      RUNS,
    )
  })
})
