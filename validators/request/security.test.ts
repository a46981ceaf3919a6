/**
 * The attack table (security.cases.ts) against the pure handler with the demo's real
 * OpenAPI document: each case is a reject with its code and status, answered on cresp and
 * never forwarded to creq. The legitimate look-alikes are forwarded unchanged.
 */
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_REQUEST_VALIDATION,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  ISSUERS,
  subjects,
  type RequestEnvelope,
} from '../../core/index.js'
import { jwksOf, sign, testKey, TestClock } from '../../core/tokens/testing.js'
import { compileRequestHosts } from '../lib/index.js'
import { accessTokenVerifier } from '../lib/index.js'
import { createRequestValidator } from './handler.js'
import {
  caseEnvelope,
  LEGITIMATE_CASES,
  REQUEST_CASES,
  type ActorMinter,
  type CaseRequest,
} from './security.cases.js'
import { demo } from '../testing/demo.js'

const clock = new TestClock()
const access = await testKey('EdDSA', 'access-1')
const stranger = await testKey('EdDSA', 'stranger-1')
const bearerKey = await testKey('EdDSA', 'bearer-1')
const validate = createRequestValidator({
  deployment: 'LAB',
  hosts: compileRequestHosts({ demo }, DEFAULT_REQUEST_VALIDATION),
  maxBodyBytes: 1_000_000,
  policy: DEFAULT_REQUEST_VALIDATION,
  accessTokens: accessTokenVerifier(jwksOf(access), clock.now),
})

function claims(roles: string[], iss: string = ISSUERS.access, age = 0) {
  return {
    iss,
    aud: 'portcullis:demo',
    sub: 'alice',
    idp: 'bearer',
    iat: clock.seconds - age,
    exp: clock.seconds - age + 60,
    jti: 'j1',
    roles,
  }
}

const actors: ActorMinter = {
  access: (roles) => sign(access, claims(roles)),
  expired: (roles) => sign(access, claims(roles, ISSUERS.access, 600)),
  unknownKey: (roles) => sign(stranger, claims(roles)),
  bearer: (roles) => sign(bearerKey, claims(roles, ISSUERS.bearer)),
}

async function verdictFor(c: CaseRequest) {
  const env: RequestEnvelope = {
    ...(await caseEnvelope(c, actors, 'req0000000001', clock.now() + 10_000)),
    edgeId: 'local',
    replyTo: 'pc.link.inbox.local.abc1',
  }
  const wire = encodeRequest(env)
  const subject = subjects.dirtyRequest('local', 'demo')
  return {
    env,
    verdict: await validate({ subject, headers: wire.headers, data: wire.data }, clock.now()),
  }
}

describe('request validator: the attack table', () => {
  it('has more than 150 cases, each with its own id', () => {
    expect(REQUEST_CASES.length).toBeGreaterThan(150)
    const ids = REQUEST_CASES.map(([name]) => name.split(' ')[0])
    expect(new Set(ids).size).toBe(ids.length)
  })

  it.each(REQUEST_CASES)('%s', async (_name, c, code, status) => {
    const { verdict } = await verdictFor(c)
    // Never forwarded: a reject goes to cresp, never to a clean-request subject.
    expect(verdict.kind).toBe('reject')
    if (verdict.kind !== 'reject') return
    expect(verdict.subject).toBe(subjects.cleanResponse('request-validator', 'demo'))
    const answer = decodeResponse(verdict.wire.headers, verdict.wire.data)
    expect({ code: answer.error, status: answer.status }).toEqual({ code, status })
    expect(answer.body.length).toBe(0)
    expect(answer.request.replyTo).toBe('pc.link.inbox.local.abc1')
    if (code === 'METHOD_NOT_ALLOWED') expect(answer.headers.map(([n]) => n)).toContain('allow')
  })

  it.each(LEGITIMATE_CASES)('forwards a legitimate request: %s', async (_name, c) => {
    const { env, verdict } = await verdictFor(c)
    expect(verdict.kind).toBe('forward')
    if (verdict.kind !== 'forward') return
    expect(verdict.subject).toBe(subjects.cleanRequest('demo'))
    const forwarded = decodeRequest(verdict.wire.headers, verdict.wire.data)
    expect(forwarded.body).toEqual(env.body)
    expect(forwarded.query).toBe(env.query)
    expect(forwarded.headers).toEqual(env.headers)
  })
})
