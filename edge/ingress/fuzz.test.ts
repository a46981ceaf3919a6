/**
 * Generated requests against the ingress inside workerd (fast-check), with the real token
 * workers and rate limits behind it and a link that records what it is given: whatever a
 * client sends, the answer is the link's or a problem+json with a code of the error table
 * and a request id, never a 500; and what reaches the link names a configured host on an
 * allowed port.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { PROBLEM_CONTENT_TYPE, isErrorCode } from '../../core/index.js'
import {
  bearerToken,
  configuredPolicy,
  rateLimits,
  recordingLink,
  tokenServices,
} from '../testing/index.js'
import { createIngress } from './index.js'

const EDGE = 'https://edge.test'

const tricky = fc.constantFrom(
  ...['/', '.', '..', '%2e%2e', '%2f', '%00', '%5c', '\\', ':', ':8443', ':443', ':0', '?', '#'],
  ...['&', '=', ';', "'", '<script>', '%', '%zz', '%c0%af', '~', '@', ' ', 'é', '\u202e'],
  ...['demo', 'orders', 'notes', 'search', 'admin', 'oauth2', 'token', '1', '.well-known'],
)
const pathText = fc.array(fc.oneof(tricky, fc.string({ maxLength: 5 })), { maxLength: 10 })
const ROUTES = ['/orders', '/orders/1', '/orders/1/notes', '/search', '/session', '/admin/stats']
const route = fc.constantFrom(...ROUTES)
const query = pathText.map((p) => (p.length ? `?${p.join('')}` : ''))
const target = fc.oneof(
  { arbitrary: fc.tuple(route, query).map(([r, q]) => `/demo${r}${q}`), weight: 4 },
  fc
    .tuple(fc.constantFrom('/demo', '/demo:443', '/demo:8443'), route, pathText)
    .map(([host, r, p]) => `${host}${r}${p.join('')}`),
  pathText.map((p) => `/${p.join('')}`),
  fc.tuple(fc.constantFrom('/nope', '/oauth2/token'), pathText).map(([a, p]) => a + p.join('')),
)
const header = fc.tuple(
  fc.constantFrom(
    ...['content-type', 'content-length', 'transfer-encoding', 'x-forwarded-for', 'x-request-id'],
    ...['cookie', 'authorization', 'x-portcullis-edge', 'host', 'cf-connecting-ip', 'accept'],
  ),
  fc.oneof(
    fc.constantFrom('application/json', 'text/plain', 'Bearer x.y.z', 'Bearer ', '1.2.3.4', '0'),
    fc.string({ maxLength: 40 }),
  ),
)
const request = fc.record({
  method: fc.oneof(
    { arbitrary: fc.constant('GET'), weight: 6 },
    { arbitrary: fc.constant('POST'), weight: 2 },
    { arbitrary: fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE'), weight: 2 },
  ),
  target,
  headers: fc.array(header, { maxLength: 5 }),
  body: fc.oneof(
    fc.constant(undefined),
    fc.string({ maxLength: 200 }),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  ),
  withToken: fc.boolean(),
})

describe('ingress under generated requests', () => {
  it('FUZZ-301 any request a client can send is answered by the link or with a known problem, never a 500', async () => {
    const link = recordingLink()
    const policy = configuredPolicy()
    const app = createIngress({
      policy,
      link,
      tokens: tokenServices(),
      rateLimits: rateLimits(),
      now: Date.now,
    })
    const token = await bearerToken(['orders', 'admin'])
    await fc.assert(
      fc.asyncProperty(request, async ({ method, target, headers, body, withToken }) => {
        let req: Request
        try {
          const h = new Headers()
          for (const [name, value] of headers) h.append(name, value)
          if (withToken) h.set('authorization', `Bearer ${token}`)
          const hasBody = body !== undefined && method !== 'GET' && method !== 'HEAD'
          req = new Request(`${EDGE}${target}`, { method, headers: h, body: hasBody ? body : null })
        } catch {
          return // no client can send it: the runtime refuses to build it
        }
        const before = link.sent.length
        const res = await app.fetch(req)
        expect(res.status).not.toBe(500)
        expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/)
        if (link.sent.length === before) {
          // Refused at the edge (or answered by the token endpoint): a known problem or OAuth error.
          const problemBody = res.headers.get('content-type') === PROBLEM_CONTENT_TYPE
          if (res.status >= 400 && problemBody && method !== 'HEAD') {
            const problem = (await res.json()) as { code: unknown; status: unknown }
            expect(isErrorCode(problem.code)).toBe(true)
            expect(problem.status).toBe(res.status)
          }
        } else {
          const sent = link.sent.at(-1)!.request
          expect(Object.keys(policy.hosts)).toContain(sent.host)
          expect(sent.path.startsWith('/')).toBe(true)
          expect(sent.headers.some(([n]) => n === 'authorization')).toBe(false)
        }
        if (!res.bodyUsed) await res.body?.cancel()
      }),
      { numRuns: 300 },
    )
    // Enough of them pass every check to make the property about forwarded requests count.
    expect(link.sent.length).toBeGreaterThan(10)
  })
})
