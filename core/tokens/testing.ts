/**
 * Fixtures for the token tests (here and in the edge's workerd tests); never imported by
 * product code. Keys are generated per run; nothing here is a stored secret.
 */
import { base64url, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose'
import type { TokenAlgorithm } from './constants.js'

export interface TestKey {
  kid: string
  alg: TokenAlgorithm
  privateKey: CryptoKey
  publicKey: CryptoKey
  /** The public JWK as a JWKS would publish it: with kid, alg and use. */
  jwk: JWK
}

export async function testKey(alg: TokenAlgorithm, kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
  return { kid, alg, privateKey, publicKey, jwk }
}

export function jwksOf(...keys: TestKey[]): { keys: JWK[] } {
  return { keys: keys.map((k) => k.jwk) }
}

/** Seconds, the unit of JWT claims. */
export const T0 = 1_800_000_000

/** A clock the tests move by hand; `now()` is milliseconds like `Date.now`. */
export class TestClock {
  ms: number
  constructor(seconds = T0) {
    this.ms = seconds * 1000
  }
  now = (): number => this.ms
  get seconds(): number {
    return Math.floor(this.ms / 1000)
  }
  advance(seconds: number): void {
    this.ms += seconds * 1000
  }
}

/** Signs claims with jose; `header` adds or overrides protected header members. */
export async function sign(
  key: TestKey,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header })
    .sign(key.privateKey)
}

const SIGNING: Record<string, Parameters<typeof crypto.subtle.sign>[0]> = {
  EdDSA: { name: 'Ed25519' },
  ES256: { name: 'ECDSA', hash: 'SHA-256' },
  RS256: { name: 'RSASSA-PKCS1-v1_5' },
}

/**
 * Signs header and payload given as text, exactly as written (for duplicate keys and other
 * JSON that jose would never produce), with WebCrypto directly.
 */
export async function signRaw(key: TestKey, headerText: string, payloadText: string) {
  const input = `${base64url.encode(headerText)}.${base64url.encode(payloadText)}`
  const params = SIGNING[key.alg]
  if (!params) throw new Error(`signRaw: no params for ${key.alg}`)
  const sig = await crypto.subtle.sign(params, key.privateKey, new TextEncoder().encode(input))
  return `${input}.${base64url.encode(new Uint8Array(sig))}`
}

/** An unsigned token with any header: for tokens no library would sign. */
export function unsigned(header: Record<string, unknown>, claims: Record<string, unknown>) {
  return `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(claims))}.`
}

/**
 * A stand-in identity provider behind the injected `fetchJwks`: serves the current JWKS
 * text, counts fetches by URL, can be taken down, and can hold fetches until released.
 */
export class TestJwksServer {
  jwks: unknown
  down = false
  calls: string[] = []
  #held: Array<() => void> = []
  hold = false

  constructor(jwks: unknown) {
    this.jwks = jwks
  }

  fetchJwks = async (url: string): Promise<unknown> => {
    this.calls.push(url)
    if (this.hold) await new Promise<void>((resolve) => this.#held.push(resolve))
    if (this.down) throw new Error('connection refused')
    return JSON.stringify(this.jwks)
  }

  release(): void {
    this.hold = false
    for (const resolve of this.#held.splice(0)) resolve()
  }
}
