/**
 * The injection scan over a whole request, through the request contract (createRequestChecks)
 * on a small OpenAPI document: every place a client writes is read (path, query names and
 * values, declared headers, JSON keys and strings), scores add up over the request, the
 * paranoia level is per route, and a route that asks for a scan cannot start without the
 * Core Rule Set.
 */
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_REQUEST_VALIDATION,
  GatewayError,
  type OpenApiDocument,
  type RequestEnvelope,
  type RequestValidationPolicy,
} from '../../../core/index.js'
import { compileRequestHosts } from './rules.js'
import { createRequestChecks } from './validate.js'

const ok = { '200': { description: 'ok' } }
const str = { type: 'string' }
const ALL = ['sql', 'xss', 'command', 'path', 'template']

function docWith(extra: Record<string, unknown> = {}): OpenApiDocument {
  return {
    openapi: '3.0.3',
    info: { title: 't', version: '1' },
    paths: {
      '/items/{name}': {
        get: {
          operationId: 'item',
          'x-portcullis-scan': ALL,
          'x-portcullis-allow-unknown-query': true,
          parameters: [
            { name: 'name', in: 'path', required: true, schema: str },
            { name: 'q', in: 'query', schema: str },
            { name: 'X-Comment', in: 'header', schema: str },
          ],
          responses: ok,
          ...extra,
        },
      },
      '/notes': {
        post: {
          operationId: 'note',
          'x-portcullis-scan': ['sql'],
          'x-portcullis-paranoia': 2,
          parameters: [{ name: 'X-Comment', in: 'header', schema: str }],
          requestBody: { content: { 'application/json': { schema: {} } } },
          responses: ok,
        },
      },
      '/plain': { get: { operationId: 'plain', responses: ok } },
    },
  }
}

function checks(doc = docWith(), change: (p: RequestValidationPolicy) => void = () => {}) {
  const policy = structuredClone(DEFAULT_REQUEST_VALIDATION)
  change(policy)
  return createRequestChecks({
    deployment: 'LAB',
    hosts: compileRequestHosts({ h: doc }, policy),
    maxBodyBytes: 100_000,
    policy,
  })
}

const standard = checks()

function env(overrides: Partial<RequestEnvelope>): RequestEnvelope {
  return {
    requestId: 'req0000000001',
    deadline: 0,
    method: 'GET',
    host: 'h',
    port: 443,
    path: '/items/tea',
    query: '',
    edgeId: 'local',
    replyTo: 'pc.link.inbox.local.abc1',
    headers: [],
    body: new Uint8Array(),
    ...overrides,
  }
}

const post = (body: string, headers: Array<[string, string]> = []) =>
  env({
    method: 'POST',
    path: '/notes',
    headers: [['content-type', 'application/json'], ...headers],
    body: new TextEncoder().encode(body),
  })

async function refusal(run: ReturnType<typeof checks>, e: RequestEnvelope) {
  try {
    await run(e)
  } catch (error) {
    if (error instanceof GatewayError) return error
    throw error
  }
  return undefined
}

describe('injection scan of a request', () => {
  it('INJ-031 an attack in a declared header parameter is refused, naming the header', async () => {
    const error = await refusal(standard, env({ headers: [['x-comment', "' OR '1'='1"]] }))
    expect(error?.code).toBe('INJECTION_DETECTED')
    expect(error?.detail).toBe('sql injection signature in header x-comment')
  })

  it('INJ-032 an attack in a query parameter name is refused', async () => {
    const error = await refusal(standard, env({ query: '%3Cscript%3Ealert(1)%3C/script%3E=1' }))
    expect(error?.code).toBe('INJECTION_DETECTED')
    expect(error?.detail).toBe('xss injection signature in a query parameter name')
  })

  it('INJ-033 an attack in a JSON key is refused without echoing the key', async () => {
    const error = await refusal(standard, post('{"a":{"1 UNION SELECT password FROM users":1}}'))
    expect(error?.code).toBe('INJECTION_DETECTED')
    expect(error?.detail).toBe('sql injection signature in a body key in /a')
  })

  it('INJ-034 the detail names class and place, never the text; the reason names the rule ids', async () => {
    const error = await refusal(standard, env({ query: 'q=UNION(SELECT(1))' }))
    expect(error?.detail).toBe('sql injection signature in query parameter q')
    expect(error?.detail).not.toMatch(/union|select/i)
    expect(error?.reason).toMatch(/rules (?:\d+, )*942190\b/)
    expect(error?.reason).toMatch(/anomaly score \d+, threshold 5, paranoia 1/)
  })

  it('INJ-035 scores add up over the request: two warnings in two places reach the threshold', async () => {
    // At paranoia 2, 942110 (a quote at the start) and 942430 (12 special characters) are
    // warnings (3 each): either alone passes, both together make 6.
    await expect(standard(post('{"a":"\'hello"}'))).resolves.toBeDefined()
    await expect(standard(post('{"a":"************"}'))).resolves.toBeDefined()
    const error = await refusal(standard, post('{"a":"\'hello"}', [['x-comment', '************']]))
    expect(error?.code).toBe('INJECTION_DETECTED')
    expect(error?.reason).toMatch(/942110, 942430|942430, 942110/)
  })

  it('INJ-036 the paranoia level is per route (x-portcullis-paranoia)', async () => {
    const prose = 'Please select one from the list, or none'
    const atTwo = await refusal(standard, post(JSON.stringify({ text: prose })))
    expect(atTwo?.code).toBe('INJECTION_DETECTED')
    await expect(standard(env({ query: `q=${encodeURIComponent(prose)}` }))).resolves.toBeDefined()
    // The config's default level applies to routes without the extension.
    const strict = checks(docWith(), (p) => (p.scan = { ...p.scan!, paranoia: 2 }))
    expect((await refusal(strict, env({ query: `q=${encodeURIComponent(prose)}` })))?.code).toBe(
      'INJECTION_DETECTED',
    )
  })

  it('INJ-037 the anomaly threshold comes from the config', async () => {
    const low = checks(docWith(), (p) => (p.scan = { ...p.scan!, threshold: 3 }))
    expect((await refusal(low, post('{"a":"\'hello"}')))?.code).toBe('INJECTION_DETECTED')
  })

  it('INJ-038 a path parameter is read decoded', async () => {
    const error = await refusal(
      standard,
      env({ path: '/items/%3Cscript%3Ealert(1)%3C%2Fscript%3E' }),
    )
    // Refused before or by the scan: never forwarded.
    expect(error).toBeDefined()
    const plain = await refusal(standard, env({ path: '/items/x%27%7C%7C1%23' }))
    expect(plain?.detail).toBe('sql injection signature in path parameter name')
  })

  it('INJ-039 extensions the scan cannot read exactly stop the start, naming the route', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [
        { 'x-portcullis-scan': ['sqli'] },
        /GET \/items\/\{name\}.*x-portcullis-scan must list some of sql, xss/,
      ],
      [{ 'x-portcullis-paranoia': 5 }, /x-portcullis-paranoia must be 1, 2, 3 or 4/],
    ]
    for (const [extra, message] of cases) expect(() => checks(docWith(extra))).toThrow(message)
    const unscanned = docWith({ 'x-portcullis-paranoia': 2 })
    delete (unscanned.paths!['/items/{name}'] as { get: Record<string, unknown> }).get[
      'x-portcullis-scan'
    ]
    expect(() => checks(unscanned)).toThrow(/x-portcullis-paranoia needs x-portcullis-scan/)
  })

  it('INJ-040 a route that asks for a scan cannot start without the Core Rule Set, and the error names the key', () => {
    const missing = (p: RequestValidationPolicy) =>
      (p.scan = { ...p.scan!, crsDirectory: '/nonexistent/crs/rules' })
    expect(() => checks(docWith(), missing)).toThrow(
      /validation\.scan\.crsDirectory: \/nonexistent\/crs\/rules\/REQUEST-921-PROTOCOL-ATTACK\.conf is missing/,
    )
    const noScan: OpenApiDocument = {
      openapi: '3.0.3',
      info: { title: 't', version: '1' },
      paths: { '/plain': { get: { operationId: 'plain', responses: ok } } },
    }
    expect(() => checks(noScan, missing)).not.toThrow()
  })
})
