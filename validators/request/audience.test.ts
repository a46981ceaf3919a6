import { describe, expect, it } from 'vitest'
import {
  accessAudienceOf,
  DEFAULT_REQUEST_VALIDATION,
  decodeResponse,
  encodeRequest,
  ISSUERS,
  subjects,
  type RequestEnvelope,
} from '../../core/index.js'
import { jwksOf, sign, testKey, TestClock } from '../../core/tokens/testing.js'
import { accessTokenVerifier, compileRequestHosts, createRequestChecks } from '../lib/index.js'
import { demo } from '../testing/demo.js'
import { createRequestValidator, type RequestVerdict } from './handler.js'

// Two upstream hosts with the same contract (the demo's), `demo` and `billing`: an access
// token names the host it was minted for (`aud: "portcullis:<host>"`), and the request
// validator accepts it only in an envelope for that host.
const hosts = compileRequestHosts({ demo, billing: demo }, DEFAULT_REQUEST_VALIDATION)
const clock = new TestClock()
const access = await testKey('EdDSA', 'access-1')
const options = {
  deployment: 'LAB' as const,
  hosts,
  maxBodyBytes: 1_000_000,
  accessTokens: accessTokenVerifier(jwksOf(access), clock.now),
}
const validate = createRequestValidator(options)

function actorFor(aud: unknown, over: Record<string, unknown> = {}) {
  return sign(access, {
    iss: ISSUERS.access,
    aud,
    sub: 'alice',
    idp: 'bearer',
    iat: clock.seconds,
    exp: clock.seconds + 60,
    jti: 'j1',
    roles: ['orders'],
    ...over,
  })
}

function order(host: string, actor: string): RequestEnvelope {
  return {
    requestId: 'req0000000001',
    deadline: clock.now() + 10_000,
    method: 'POST',
    host,
    port: 443,
    path: '/orders',
    query: '',
    edgeId: 'local',
    replyTo: 'pc.link.inbox.local.abc1',
    headers: [['content-type', 'application/json']],
    body: new TextEncoder().encode('{"item":"tea","quantity":2}'),
    actor,
  }
}

async function codeOf(env: RequestEnvelope): Promise<string | undefined> {
  const wire = encodeRequest(env)
  const verdict: RequestVerdict = await validate(
    {
      subject: subjects.dirtyRequest(env.edgeId!, env.host),
      headers: wire.headers,
      data: wire.data,
    },
    clock.now(),
  )
  if (verdict.kind === 'forward') return undefined
  if (verdict.kind !== 'reject') throw new Error(`unexpected ${verdict.kind}`)
  const answer = decodeResponse(verdict.wire.headers, verdict.wire.data)
  expect(answer.status).toBe(401)
  return answer.error
}

describe('request validator: an access token is for one upstream host', () => {
  it('AUTH-304 an access token minted for host demo passes for demo and is refused for billing with TOKEN_AUDIENCE_INVALID', async () => {
    const forDemo = await actorFor(accessAudienceOf('demo'))
    expect(await codeOf(order('demo', forDemo))).toBeUndefined()
    expect(await codeOf(order('billing', forDemo))).toBe('TOKEN_AUDIENCE_INVALID')
    const forBilling = await actorFor(accessAudienceOf('billing'))
    expect(await codeOf(order('billing', forBilling))).toBeUndefined()
    expect(await codeOf(order('demo', forBilling))).toBe('TOKEN_AUDIENCE_INVALID')
  })

  it('AUTH-305 an access token naming no host, the old shared audience, or another host among others is refused', async () => {
    const auds: unknown[] = [
      'portcullis',
      'portcullis:',
      'portcullis:*',
      'portcullis:Demo',
      'portcullis:demo ',
      ['portcullis', 'portcullis:billing'],
      [],
    ]
    for (const aud of auds) {
      expect(await codeOf(order('demo', await actorFor(aud)))).toBe('TOKEN_AUDIENCE_INVALID')
    }
    // No aud at all.
    expect(await codeOf(order('demo', await actorFor(undefined)))).toBe('TOKEN_AUDIENCE_INVALID')
  })

  it('AUTH-306 the single-validation backend runs the same library check: the same verdicts', async () => {
    const checks = createRequestChecks(options)
    const forDemo = await actorFor(accessAudienceOf('demo'))
    await expect(checks(order('demo', forDemo))).resolves.toEqual({ actor: 'alice' })
    await expect(checks(order('billing', forDemo))).rejects.toMatchObject({
      code: 'TOKEN_AUDIENCE_INVALID',
    })
  })

  it('IDP-609 an access token is expired on-prem from its exp on, with no clock tolerance', async () => {
    const at = clock.seconds
    const actor = await actorFor(accessAudienceOf('demo'), { iat: at - 60, exp: at })
    expect(await codeOf(order('demo', actor))).toBe('TOKEN_EXPIRED')
    const later = await actorFor(accessAudienceOf('demo'), { iat: at - 59, exp: at + 1 })
    expect(await codeOf(order('demo', later))).toBeUndefined()
  })
})
