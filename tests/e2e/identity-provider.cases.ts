/**
 * An external identity provider end to end: a local stand-in serves its JWKS on 127.0.0.1,
 * the stack (`wrangler dev` and every on-prem stage) is configured with it as `corp`, and
 * the edge fetches its keys over real HTTP from inside workerd. Runs on the isolated
 * topology's stack (request-path-isolated.test.ts), whose start takes these overrides.
 */
import { describe, expect, it } from 'vitest'
import { decodeJwt } from 'jose'
import type { TestIdp } from '../harness/idp.js'
import type { TestStack } from './test-stack.js'

/** The stack's config for the provider: `corp`, with short key-set timings. */
export function identityProviderOverrides(idp: TestIdp): unknown {
  return {
    tokens: { jwks: { cooldownSeconds: 1, refreshSeconds: 2, maxStaleSeconds: 600 } },
    identityProviders: {
      corp: {
        issuer: idp.issuer,
        audience: 'portcullis-api',
        algorithms: ['RS256'],
        jwksUrl: idp.jwksUrl,
        roles: { claim: 'groups', map: { 'gw-orders': 'orders', 'gw-admins': 'admin' } },
        claims: { email: 'email' },
      },
    },
  }
}

const claims = { sub: 'alice', aud: 'portcullis-api', groups: ['gw-orders'], email: 'a@corp.test' }
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function orderOn(stackOf: () => TestStack, token: string) {
  return fetch(`${stackOf().url}/demo/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ item: 'tea', quantity: 1 }),
  })
}

async function codeOf(res: Response): Promise<string> {
  return ((await res.json()) as { code: string }).code
}

export function identityProviderSuite(stackOf: () => TestStack, idpOf: () => TestIdp): void {
  const order = (token: string) => orderOn(stackOf, token)
  describe('an external identity provider', () => {
    it("IDP-501 a provider token creates an order; the upstream sees only the gateway's access token", async () => {
      const token = await idpOf().token(claims)
      const res = await order(token)
      expect(res.status).toBe(201)
      const seen = (await stackOf().received()).find(
        (r) => r.requestId === res.headers.get('x-request-id'),
      )!
      expect(seen.headers['authorization']).toBeUndefined()
      expect(JSON.stringify(seen)).not.toContain(token.split('.')[2]!)
      expect(decodeJwt(String(seen.headers['portcullis-actor']))).toMatchObject({
        iss: 'access.token.core',
        sub: 'corp:alice',
        idp: 'corp',
        roles: ['orders'],
        email: 'a@corp.test',
      })
      expect(idpOf().fetches).toBeGreaterThanOrEqual(1)
    })

    it('IDP-502 POST /oauth2/token exchanges a provider token for a bearer token the edge accepts', async () => {
      const res = await fetch(`${stackOf().url}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: await idpOf().token(claims),
          subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
        }),
      })
      expect(res.status).toBe(200)
      const body = (await res.json()) as { access_token: string; expires_in: number }
      expect(decodeJwt(body.access_token)).toMatchObject({ iss: 'bearer.token.core', idp: 'corp' })
      expect((await order(body.access_token)).status).toBe(201)
    })

    it('IDP-503 the provider rotates its key: tokens of the new key work after the cooldown', async () => {
      const kid = await idpOf().rotate()
      await sleep(1100)
      expect((await order(await idpOf().token(claims, { kid }))).status).toBe(201)
    })

    it('IDP-504 the provider down: known keys keep working, an unknown kid is refused at once', async () => {
      await idpOf().down()
      try {
        await sleep(2100)
        expect((await order(await idpOf().token(claims))).status).toBe(201)
        const hidden = await idpOf().unpublishedKey()
        const started = Date.now()
        const res = await order(await idpOf().token(claims, { kid: hidden }))
        expect(res.status).toBe(401)
        expect(await codeOf(res)).toBe('TOKEN_KEY_UNKNOWN')
        expect(Date.now() - started).toBeLessThan(3000)
      } finally {
        await idpOf().up()
      }
    })

    it('IDP-505 a token of another issuer signed with the provider key is refused', async () => {
      const res = await order(await idpOf().token({ ...claims, iss: 'https://evil.test/realm' }))
      expect(res.status).toBe(401)
      expect(await codeOf(res)).toBe('TOKEN_ISSUER_NOT_TRUSTED')
    })
  })
}
