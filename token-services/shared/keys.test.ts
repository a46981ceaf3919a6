import { describe, expect, it } from 'vitest'
import { tokenServiceErrorCode, TokenServiceError } from './errors.js'
import { generateSigningJwk, signingKeysSecret } from './generate.js'
import { jwksOf, loadSigningKeys, signingKeysOf } from './keys.js'

describe('signing keys', () => {
  it('imports a value once: the same secret gives the same keys, another secret imports again', async () => {
    const keysOf = signingKeysOf('binding TEST_KEYS')
    const one = signingKeysSecret(await generateSigningJwk())
    const two = signingKeysSecret(await generateSigningJwk())
    const first = keysOf(one)
    expect(keysOf(one)).toBe(first)
    const other = keysOf(two)
    expect(other).not.toBe(first)
    expect((await other).current.kid).not.toBe((await first).current.kid)
  })

  it('keeps a refusal for the same value without parsing it again', async () => {
    const keysOf = signingKeysOf('binding TEST_KEYS')
    const refused = keysOf('{')
    expect(keysOf('{')).toBe(refused)
    await expect(refused).rejects.toMatchObject({ code: 'SIGNING_KEYS_INVALID' })
  })

  it('names where the keys came from, as the caller says', async () => {
    await expect(loadSigningKeys('key file /k/bearer.jwk', undefined)).rejects.toThrow(
      'SIGNING_KEYS_MISSING: key file /k/bearer.jwk is not set',
    )
  })

  it('publishes current first, then previous; the private key cannot be exported', async () => {
    const current = await generateSigningJwk('now')
    const previous = await generateSigningJwk('before')
    const keys = await loadSigningKeys('binding K', signingKeysSecret(current, previous))
    expect(jwksOf(keys).keys).toEqual([
      { kty: 'OKP', crv: 'Ed25519', x: current.x, kid: 'now', alg: 'EdDSA', use: 'sig' },
      { kty: 'OKP', crv: 'Ed25519', x: previous.x, kid: 'before', alg: 'EdDSA', use: 'sig' },
    ])
    expect(keys.current.privateKey.extractable).toBe(false)
  })
})

describe('tokenServiceErrorCode', () => {
  it('reads the code of a local error and of one that crossed RPC as a plain Error', () => {
    expect(tokenServiceErrorCode(new TokenServiceError('MINT_REQUEST_INVALID', 'x'))).toBe(
      'MINT_REQUEST_INVALID',
    )
    expect(
      tokenServiceErrorCode(new Error('TokenServiceError: SIGNING_KEYS_MISSING: binding K')),
    ).toBe('SIGNING_KEYS_MISSING')
    expect(tokenServiceErrorCode(new Error('SOMETHING_ELSE: no'))).toBeUndefined()
    expect(tokenServiceErrorCode(new Error('network lost'))).toBeUndefined()
    expect(tokenServiceErrorCode('SIGNING_KEYS_MISSING: x')).toBeUndefined()
  })
})
