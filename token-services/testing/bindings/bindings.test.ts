import { env } from 'cloudflare:workers'
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import type { AccessTokenService } from '../../access/index.js'
import type { BearerTokenService } from '../../bearer/index.js'
import { ACCESS, BEARER } from '../../shared/index.js'
import { refusal } from '../expect.js'

// The bindings as the ingress declares them (wrangler.toml here), to the real workers.
const { ACCESS_TOKENS, BEARER_TOKENS } = env as unknown as {
  ACCESS_TOKENS: Service<AccessTokenService>
  BEARER_TOKENS: Service<BearerTokenService>
}

describe('token services over service bindings from another worker', () => {
  it('TOKEN-010 the ingress mints an access token over its binding and verifies it with the jwks() of the same binding', async () => {
    const minted = await ACCESS_TOKENS.mint({ sub: 'alice', aud: 'demo', idp: BEARER.issuer })
    const { payload } = await jwtVerify(
      minted.token,
      createLocalJWKSet(await ACCESS_TOKENS.jwks()),
      {
        algorithms: ['EdDSA'],
        issuer: ACCESS.issuer,
        audience: 'demo',
      },
    )
    expect(payload).toMatchObject({ sub: 'alice', idp: 'bearer.token.core' })
  })

  it('TOKEN-011 a bearer token revoked over the binding reads as revoked over the binding', async () => {
    const minted = await BEARER_TOKENS.mint({ sub: 'alice', roles: ['orders'] })
    await jwtVerify(minted.token, createLocalJWKSet(await BEARER_TOKENS.jwks()), {
      algorithms: ['EdDSA'],
      issuer: BEARER.issuer,
      audience: BEARER.audience,
    })
    const { jti } = decodeJwt(minted.token)
    expect(await BEARER_TOKENS.isRevoked(jti!)).toBe(false)
    await BEARER_TOKENS.revoke(jti!, minted.expiresAt)
    expect(await BEARER_TOKENS.isRevoked(jti!)).toBe(true)
  })

  it('TOKEN-012 a refusal keeps its code across workers, and neither token verifies with the other service keys', async () => {
    await refusal(ACCESS_TOKENS.mint({ sub: '', aud: 'demo', idp: 'x' }), 'MINT_REQUEST_INVALID')
    await refusal(BEARER_TOKENS.isRevoked('../../x'), 'REVOKE_REQUEST_INVALID')
    const access = await ACCESS_TOKENS.mint({ sub: 'alice', aud: 'portcullis:demo', idp: 'x' })
    const bearer = await BEARER_TOKENS.mint({ sub: 'alice' })
    await expect(
      jwtVerify(access.token, createLocalJWKSet(await BEARER_TOKENS.jwks())),
    ).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' })
    await expect(
      jwtVerify(bearer.token, createLocalJWKSet(await ACCESS_TOKENS.jwks())),
    ).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' })
  })

  it('IDP-610 over the bindings, notAfter caps the exp of access and bearer tokens; a notAfter reached is refused MINT_REQUEST_INVALID', async () => {
    const now = Math.floor(Date.now() / 1000)
    const access = await ACCESS_TOKENS.mint({
      sub: 'alice',
      aud: 'portcullis:demo',
      idp: 'bearer',
      ttlSeconds: 900,
      notAfter: now + 5,
    })
    expect(access.expiresAt).toBeLessThanOrEqual(now + 5)
    expect(decodeJwt(access.token).exp).toBe(access.expiresAt)
    const bearer = await BEARER_TOKENS.mint({ sub: 'corp:alice', idp: 'corp', notAfter: now + 7 })
    expect(decodeJwt(bearer.token).exp).toBeLessThanOrEqual(now + 7)
    await refusal(
      ACCESS_TOKENS.mint({ sub: 'alice', aud: 'portcullis:demo', idp: 'x', notAfter: now - 1 }),
      'MINT_REQUEST_INVALID',
    )
    await refusal(BEARER_TOKENS.mint({ sub: 'alice', notAfter: now - 30 }), 'MINT_REQUEST_INVALID')
  })
})
