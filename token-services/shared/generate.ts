/**
 * New signing keys: an Ed25519 private JWK with a short random `kid`, and the secret text
 * the workers read. Used by `portcullis keys` and by tests; runs in Node and in workerd.
 */
import { base64url, exportJWK, generateKeyPair } from 'jose'

export interface PrivateSigningJwk {
  kty: 'OKP'
  crv: 'Ed25519'
  x: string
  d: string
  kid: string
  alg: 'EdDSA'
  use: 'sig'
}

/** 72 random bits, base64url: 12 characters. */
export function newKid(): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(9)))
}

export async function generateSigningJwk(kid = newKid()): Promise<PrivateSigningJwk> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  const { x, d } = await exportJWK(privateKey)
  return { kty: 'OKP', crv: 'Ed25519', x: x!, d: d!, kid, alg: 'EdDSA', use: 'sig' }
}

/** The value of a `*_SIGNING_KEYS` secret: `{ current, previous? }` as JSON text. */
export function signingKeysSecret(
  current: PrivateSigningJwk,
  previous?: PrivateSigningJwk,
): string {
  return JSON.stringify(previous ? { current, previous } : { current })
}
