/**
 * Bearer tokens for the benchmark, signed with the stack's dev bearer key as the bearer
 * service signs them, and the cost of verifying one with the pinned verifier.
 */
import { createTokenVerifier, ISSUERS } from '../core/index.js'
import { jwkPath, signingKeysSecretOf } from '../cli/jwk-keys.js'
import {
  BEARER,
  epochSeconds,
  jwksOf,
  loadSigningKeys,
  mintBearerToken,
} from '../token-services/shared/index.js'

export async function bearerKeys(keysDir: string) {
  return loadSigningKeys(
    `key file ${jwkPath(keysDir, 'bearer')}`,
    signingKeysSecretOf(keysDir, 'bearer'),
  )
}

/** `count` distinct bearer tokens (each its own `jti`, so each needs its own exchange). */
export async function mintBearerTokens(keysDir: string, count: number): Promise<string[]> {
  const keys = await bearerKeys(keysDir)
  const now = epochSeconds(Date.now())
  const out: string[] = []
  for (let i = 0; i < count; i++) {
    out.push((await mintBearerToken(keys, { sub: `bench-${i}`, ttlSeconds: 3600 }, now)).token)
  }
  return out
}

/** Microseconds per verification of one bearer token (EdDSA), serially for `ms`. */
export async function verifyCostMicros(keysDir: string, ms = 1000): Promise<number> {
  const keys = await bearerKeys(keysDir)
  const [token] = await mintBearerTokens(keysDir, 1)
  const verifier = createTokenVerifier({
    kinds: [
      {
        kind: 'bearer',
        issuer: ISSUERS.bearer,
        audience: BEARER.audience,
        algorithms: ['EdDSA'],
        keys: { jwks: jwksOf(keys) },
      },
    ],
    now: Date.now,
  })
  await verifier.verify(token, 'bearer')
  let n = 0
  const started = performance.now()
  while (performance.now() - started < ms) {
    await verifier.verify(token, 'bearer')
    n++
  }
  return Math.round(((performance.now() - started) * 1000) / n)
}
