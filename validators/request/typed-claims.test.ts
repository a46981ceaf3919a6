import { describe, expect, it } from 'vitest'
import {
  DEFAULT_REQUEST_VALIDATION,
  decodeResponse,
  encodeRequest,
  ISSUERS,
  subjects,
  type OpenApiDocument,
  type RequestEnvelope,
} from '../../core/index.js'
import { jwksOf, sign, testKey, TestClock } from '../../core/tokens/testing.js'
import { accessTokenVerifier, compileRequestHosts } from '../lib/index.js'
import { createRequestValidator } from './handler.js'

// The request validator judges the access token's claims by the same strict rules as the
// edge (core/claims): a host `typed` whose GET routes declare rules over claims of each type.
const RULES: Record<string, string> = {
  verified: 'email_verified',
  unsuspended: '!suspended',
  senior: 'level > 5',
  ops: "any(teams) == 'ops'",
  admin: 'roles.admin',
}

const doc: OpenApiDocument = {
  openapi: '3.1.0',
  info: { title: 'typed', version: '1' },
  paths: Object.fromEntries(
    Object.entries(RULES).map(([name, rule]) => [
      `/${name}`,
      {
        get: {
          operationId: name,
          'x-required-claims': rule,
          responses: { '200': { description: 'ok' } },
        },
      },
    ]),
  ),
} as OpenApiDocument

const hosts = compileRequestHosts({ typed: doc }, DEFAULT_REQUEST_VALIDATION)
const clock = new TestClock()
const access = await testKey('EdDSA', 'access-1')
const validate = createRequestValidator({
  deployment: 'LAB',
  hosts,
  maxBodyBytes: 1_000_000,
  accessTokens: accessTokenVerifier(jwksOf(access), clock.now),
})

async function codeFor(route: string, claims: Record<string, unknown>) {
  const actor = await sign(access, {
    iss: ISSUERS.access,
    aud: 'portcullis:typed',
    sub: 'alice',
    idp: 'corp',
    iat: clock.seconds,
    exp: clock.seconds + 60,
    jti: 'j1',
    ...claims,
  })
  const env: RequestEnvelope = {
    requestId: 'req0000000001',
    deadline: clock.now() + 10_000,
    method: 'GET',
    host: 'typed',
    port: 443,
    path: `/${route}`,
    query: '',
    edgeId: 'local',
    replyTo: 'pc.link.inbox.local.abc1',
    headers: [],
    body: new Uint8Array(),
    actor,
  }
  const wire = encodeRequest(env)
  const subject = subjects.dirtyRequest(env.edgeId!, env.host)
  const verdict = await validate({ subject, headers: wire.headers, data: wire.data }, clock.now())
  if (verdict.kind === 'forward') return 'forward'
  if (verdict.kind !== 'reject') throw new Error(`unexpected ${verdict.kind}`)
  return decodeResponse(verdict.wire.headers, verdict.wire.data).error
}

describe('request validator: claim rules are strict about types', () => {
  it.each<[string, Record<string, unknown>]>([
    ['verified', { email_verified: 'true' }],
    ['verified', { email_verified: 1 }],
    ['unsuspended', { suspended: 'false' }],
    ['unsuspended', { suspended: 0 }],
    ['senior', { level: '9' }],
    ['ops', { teams: 'ops' }],
    ['admin', { roles: { admin: true } }],
    ['admin', { roles: 'admin' }],
  ])('CLAIM-140 on-prem, %s with %j is CLAIMS_NOT_MET', async (route, claims) => {
    expect(await codeFor(route, claims)).toBe('CLAIMS_NOT_MET')
  })

  it.each<[string, Record<string, unknown>]>([
    ['verified', { email_verified: true }],
    ['unsuspended', { suspended: false }],
    ['unsuspended', {}],
    ['senior', { level: 6 }],
    ['ops', { teams: ['dev', 'ops'] }],
    ['admin', { roles: ['orders', 'admin'] }],
  ])('on-prem, %s with %j is forwarded', async (route, claims) => {
    expect(await codeFor(route, claims)).toBe('forward')
  })
})
