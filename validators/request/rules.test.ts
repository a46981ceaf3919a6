/**
 * The rules the edge applies too (core/policy/rules.cases.ts), through the request
 * validator's pure handler: the envelope as the edge would publish it, on the bus subject of
 * its host, with an access token for the case's claims.
 */
import { describe, expect, it } from 'vitest'
import {
  accessAudienceOf,
  DEFAULT_REQUEST_VALIDATION,
  decodeResponse,
  encodeRequest,
  ISSUERS,
  subjects,
  METHODS,
  type GatewayError,
  type HeaderList,
  type Method,
  type RequestEnvelope,
  type ResponseEnvelope,
} from '../../core/index.js'
import { jwksOf, sign, testKey, TestClock } from '../../core/tokens/testing.js'
import {
  RULE_CASES,
  RULES_DOCUMENT,
  RULES_HOST,
  type RuleOutcome,
  type RuleRequest,
} from '../../core/policy/rules.cases.js'
import { accessTokenVerifier, compileRequestHosts } from '../lib/index.js'
import { createRequestChecks, rejection } from '../lib/request/validate.js'
import { createRequestValidator } from './handler.js'

const clock = new TestClock()
const access = await testKey('EdDSA', 'access-1')
const hosts = compileRequestHosts({ [RULES_HOST]: RULES_DOCUMENT }, DEFAULT_REQUEST_VALIDATION)
const options = (deployment: 'LAB' | 'PROD') => ({
  deployment,
  hosts,
  maxBodyBytes: 1_000_000,
  accessTokens: accessTokenVerifier(jwksOf(access), clock.now),
})
const validators = {
  LAB: createRequestValidator(options('LAB')),
  PROD: createRequestValidator(options('PROD')),
}
const contracts = {
  LAB: createRequestChecks(options('LAB')),
  PROD: createRequestChecks(options('PROD')),
}

/** An access token as the access service mints it for the edge's caller. */
function actorFor(claims: Record<string, unknown>): Promise<string> {
  return sign(access, {
    ...claims,
    iss: ISSUERS.access,
    aud: accessAudienceOf(RULES_HOST),
    sub: 'alice',
    idp: 'bearer',
    iat: clock.seconds,
    exp: clock.seconds + 60,
    jti: 'j1',
  })
}

async function outcomeOf(r: RuleRequest): Promise<RuleOutcome> {
  const body = new TextEncoder().encode(r.body ?? '')
  const headers: HeaderList = []
  if (r.contentType !== undefined) headers.push(['content-type', r.contentType])
  const env: RequestEnvelope = {
    requestId: 'req0000000001',
    deadline: clock.now() + 10_000,
    method: r.method as Method,
    host: RULES_HOST,
    port: r.port,
    path: r.path,
    query: '',
    edgeId: 'local',
    replyTo: 'pc.link.inbox.local.abc1',
    headers,
    body,
    ...(r.claims === undefined ? {} : { actor: await actorFor(r.claims) }),
  }
  const wire = encodeRequest(env)
  const verdict = await validators[r.deployment](
    { subject: subjects.dirtyRequest('local', RULES_HOST), headers: wire.headers, data: wire.data },
    clock.now(),
  )
  if (verdict.kind === 'forward') return 'pass'
  if (verdict.kind === 'drop') {
    // The envelope cannot even carry such a method (the edge never publishes one): the
    // handler drops it, and the contract step behind it decides as the edge does.
    expect(METHODS).not.toContain(r.method)
    expect(verdict.reason).toMatch(/method not carried/)
    try {
      await contracts[r.deployment](env)
      return 'pass'
    } catch (e) {
      return answerOf(rejection(env, e as GatewayError))
    }
  }
  return answerOf(decodeResponse(verdict.wire.headers, verdict.wire.data))
}

function answerOf(answer: ResponseEnvelope): RuleOutcome {
  const allow = answer.headers.find(([name]) => name === 'allow')?.[1]
  const code = answer.error!
  return allow === undefined
    ? { code, status: answer.status }
    : { code, status: answer.status, allow }
}

describe('the shared rules, run by the request validator', () => {
  it.each(RULE_CASES)('%s', async (_, request, outcome) => {
    expect(await outcomeOf(request)).toEqual(outcome)
  })
})
