/**
 * The request validator's own cost, per process: the pure handler (`createRequestValidator`)
 * called in a loop on the demo's OpenAPI document, one message kind at a time, each message
 * decoded from its wire form as it arrives from dreq. Messages per second and the p50 and
 * p99 time per message; no bus, no network, one core.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  DEFAULT_REQUEST_VALIDATION,
  encodeRequest,
  ISSUERS,
  subjects,
  type BusMessage,
  type OpenApiDocument,
  type RequestEnvelope,
} from '../core/index.js'
import { jwksOf, sign, testKey } from '../core/tokens/testing.js'
import { accessTokenVerifier, compileRequestHosts } from '../validators/lib/index.js'
import { createRequestValidator } from '../validators/request/index.js'

export interface ValidatorResult {
  message: string
  verdict: string
  count: number
  perSecond: number
  p50Us: number
  p99Us: number
}

const text = (s: string) => new TextEncoder().encode(s)

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!
}

export async function benchRequestValidator(
  root: string,
  seconds: number,
): Promise<ValidatorResult[]> {
  const demo = JSON.parse(
    readFileSync(join(root, 'demo', 'openapi.json'), 'utf8'),
  ) as OpenApiDocument
  const key = await testKey('EdDSA', 'bench-access')
  const validate = createRequestValidator({
    deployment: 'LAB',
    hosts: compileRequestHosts({ demo }, DEFAULT_REQUEST_VALIDATION),
    maxBodyBytes: 1_000_000,
    accessTokens: accessTokenVerifier(jwksOf(key)),
  })
  const now = Math.floor(Date.now() / 1000)
  const actor = await sign(key, {
    iss: ISSUERS.access,
    aud: 'portcullis:demo',
    sub: 'bench',
    idp: 'bearer',
    iat: now,
    exp: now + 600,
    jti: 'bench',
    roles: ['orders'],
  })
  const json: RequestEnvelope['headers'] = [
    ['content-type', 'application/json'],
    ['user-agent', 'bench'],
  ]
  const kinds: Array<[string, Partial<RequestEnvelope>]> = [
    ['GET /orders', { method: 'GET', path: '/orders', headers: [['accept', '*/*']] }],
    [
      'GET /search (query, scanned)',
      { method: 'GET', path: '/search', query: 'q=tea&sort=item&limit=5&tag=gift' },
    ],
    [
      'POST note (JSON, scanned)',
      {
        method: 'POST',
        path: '/orders/1/notes',
        headers: json,
        body: text('{"text":"Please ring twice; leave it with the neighbour.","author":"Ann"}'),
      },
    ],
    [
      'POST order (access token)',
      {
        method: 'POST',
        path: '/orders',
        headers: json,
        actor,
        body: text('{"item":"tea","quantity":2}'),
      },
    ],
    [
      'POST note, refused (SQL)',
      {
        method: 'POST',
        path: '/orders/1/notes',
        headers: json,
        body: text(`{"text":"x'; DROP TABLE orders; --","author":"Ann"}`),
      },
    ],
  ]

  const results: ValidatorResult[] = []
  for (const [name, overrides] of kinds) {
    const env: RequestEnvelope = {
      requestId: 'bench00000001',
      deadline: Date.now() + 3_600_000,
      method: 'GET',
      host: 'demo',
      port: 443,
      path: '/',
      query: '',
      edgeId: 'local',
      replyTo: 'pc.link.inbox.local.bench',
      headers: [],
      body: new Uint8Array(),
      ...overrides,
    }
    const wire = encodeRequest(env)
    const msg: BusMessage = {
      subject: subjects.dirtyRequest('local', 'demo'),
      headers: wire.headers,
      data: wire.data,
    }
    const clock = Date.now()
    let verdict = ''
    // Warm-up: compile paths, JIT.
    for (let i = 0; i < 2_000; i++) verdict = (await validate(msg, clock)).kind
    const times: number[] = []
    const until = performance.now() + seconds * 1000
    const started = performance.now()
    while (performance.now() < until) {
      for (let i = 0; i < 200; i++) {
        const t0 = performance.now()
        await validate(msg, clock)
        times.push(performance.now() - t0)
      }
    }
    const elapsed = (performance.now() - started) / 1000
    const sorted = Float64Array.from(times).sort()
    results.push({
      message: name,
      verdict,
      count: times.length,
      perSecond: Math.round(times.length / elapsed),
      p50Us: Math.round(percentile(sorted, 0.5) * 1000),
      p99Us: Math.round(percentile(sorted, 0.99) * 1000),
    })
  }
  return results
}
