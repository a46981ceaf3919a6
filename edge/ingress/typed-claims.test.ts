import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { compileRoutes, PROBLEM_CONTENT_TYPE, type EdgePolicy } from '../../core/index.js'
import { sign, testKey, TestJwksServer } from '../../core/tokens/testing.js'
import { bearerService, configuredPolicy, recordingLink, tokenServices } from '../testing/index.js'
import { createIngress } from './index.js'

// Claim rules strict about types, end to end at the edge inside workerd: a host `typed`
// whose routes declare rules over claims an identity provider (`corp`) sends with the wrong
// JSON types, and over extra claims of the real bearer service's tokens. The mapping keeps
// the types, so "false", "0", "9" and ["admin"] satisfy nothing, and negation does not help.
const EDGE = 'https://edge.test'
const ISSUER = 'https://login.corp.test/realm'
const JWKS_URL = 'https://login.corp.test/realm/jwks'

const RULES: Record<string, string> = {
  verified: 'email_verified',
  trusted: '!suspended && mfa',
  senior: 'level > 5',
  ops: "any(teams) == 'ops'",
  orgAdmin: 'org.admin',
  notBanned: "!(any(teams) == 'banned')",
}

function policy(): EdgePolicy {
  const base = configuredPolicy()
  const typed = compileRoutes('typed', {
    openapi: '3.1.0',
    paths: Object.fromEntries(
      Object.entries(RULES).map(([name, rule]) => [
        `/${name}`,
        { get: { operationId: name, 'x-required-claims': rule } },
      ]),
    ),
  })
  return {
    ...base,
    hosts: { ...base.hosts, typed },
    identityProviders: {
      corp: {
        issuer: ISSUER,
        audience: 'portcullis-api',
        algorithms: ['RS256'],
        jwksUrl: JWKS_URL,
        claims: {
          email_verified: 'email_verified',
          suspended: 'suspended',
          mfa: 'mfa',
          level: 'level',
          teams: 'teams',
          org: 'org',
        },
      },
    },
  }
}

async function setup() {
  const key = await testKey('RS256', 'corp-1')
  const idp = new TestJwksServer({ keys: [key.jwk] })
  const link = recordingLink()
  const app = createIngress({
    policy: policy(),
    link,
    tokens: tokenServices(),
    now: Date.now,
    fetchJwks: idp.fetchJwks as (url: string) => Promise<string>,
  })
  const now = () => Math.floor(Date.now() / 1000)
  const external = (claims: Record<string, unknown>) =>
    sign(key, {
      iss: ISSUER,
      aud: 'portcullis-api',
      sub: 'alice',
      iat: now(),
      exp: now() + 300,
      ...claims,
    })
  const bearer = async (claims: Record<string, unknown>) =>
    (await bearerService().mint({ sub: 'bob', claims })).token
  const get = (route: string, token: string) =>
    app.fetch(
      new Request(`${EDGE}/typed/${route}`, { headers: { authorization: `Bearer ${token}` } }),
    )
  return { link, external, bearer, get }
}

async function expectStatus(res: Response, status: number, code?: string) {
  expect(res.status).toBe(status)
  if (code) {
    expect(res.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE)
    expect(((await res.json()) as { code: string }).code).toBe(code)
  }
}

describe('ingress: claim rules are strict about types', () => {
  it('CLAIM-130 an identity provider’s "false", "0", "9" and ["admin"] satisfy no rule, negated or not', async () => {
    const { external, get, link } = await setup()
    const wrong = await external({
      email_verified: 'false',
      suspended: 'false',
      mfa: '1',
      level: '9',
      teams: 'ops',
      org: ['admin'],
    })
    for (const route of ['verified', 'trusted', 'senior', 'ops', 'orgAdmin', 'notBanned']) {
      await expectStatus(await get(route, wrong), 403, 'CLAIMS_NOT_MET')
    }
    expect(link.sent).toHaveLength(0)
  })

  it('CLAIM-131 the same claims with their proper types pass, and reach the upstream with their types', async () => {
    const { external, get, link } = await setup()
    const right = await external({
      email_verified: true,
      suspended: false,
      mfa: true,
      level: 9,
      teams: ['dev', 'ops'],
      org: { admin: true },
    })
    for (const route of ['verified', 'trusted', 'senior', 'ops', 'orgAdmin', 'notBanned']) {
      await expectStatus(await get(route, right), 200)
    }
    const actor = decodeJwt(link.sent[0]!.request.actor!)
    expect(actor).toMatchObject({
      email_verified: true,
      suspended: false,
      mfa: true,
      level: 9,
      teams: ['dev', 'ops'],
      org: { admin: true },
    })
    // A list that holds the banned team: any(...) finds it, the negation refuses.
    const banned = await external({ teams: ['ops', 'banned'] })
    await expectStatus(await get('notBanned', banned), 403, 'CLAIMS_NOT_MET')
    await expectStatus(await get('ops', banned), 200)
  })

  it('CLAIM-132 a bearer token’s extra claims are judged by type as well', async () => {
    const { bearer, get } = await setup()
    const strings = await bearer({ email_verified: 'true', level: '9', org: { admin: 1 } })
    for (const route of ['verified', 'senior', 'orgAdmin']) {
      await expectStatus(await get(route, strings), 403, 'CLAIMS_NOT_MET')
    }
    const typed = await bearer({ email_verified: true, level: 6, org: { admin: true } })
    for (const route of ['verified', 'senior', 'orgAdmin']) {
      await expectStatus(await get(route, typed), 200)
    }
  })
})
