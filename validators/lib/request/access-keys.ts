/**
 * The access service's public keys for verifying actors: the public part of
 * `<keys>/jwk/access.jwk`, and of `access.previous.jwk` when present (a rotation in
 * progress), read once at start. Only `kty`, `crv`, `x` and `kid` are kept: the private
 * member never leaves this function.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  createTokenVerifier,
  ISSUERS,
  SetupError,
  type TokenVerifier,
} from '../../../core/index.js'

function publicJwkOf(path: string, required: boolean): Record<string, unknown> | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    if (!required && (e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new SetupError('KEY_MISSING', `no access signing key at ${path}`, {
      key: 'paths.keys',
      file: path,
      cause: e,
    })
  }
  let jwk: Record<string, unknown>
  try {
    jwk = JSON.parse(text) as Record<string, unknown>
  } catch {
    // JSON.parse's message would quote the file, which holds a private key.
    throw new SetupError('KEY_INVALID', `access signing key ${path} is not valid JSON`, {
      file: path,
    })
  }
  const { kty, crv, x, kid } = jwk ?? {}
  if (kty !== 'OKP' || crv !== 'Ed25519' || typeof x !== 'string' || typeof kid !== 'string') {
    throw new SetupError(
      'KEY_INVALID',
      `access signing key ${path} is not an Ed25519 JWK with a kid`,
      {
        file: path,
      },
    )
  }
  return { kty, crv, x, kid, alg: 'EdDSA', use: 'sig' }
}

export function readAccessJwks(keysDir: string): { keys: Record<string, unknown>[] } {
  const dir = join(keysDir, 'jwk')
  const current = publicJwkOf(join(dir, 'access.jwk'), true)!
  const previous = publicJwkOf(join(dir, 'access.previous.jwk'), false)
  return { keys: previous ? [current, previous] : [current] }
}

/**
 * The access service's tokens, with no audience of their own: each verification names the
 * host it serves (`{ audience: accessAudienceOf(env.host) }`), and one that does not is
 * refused, so an access token minted for one upstream host never passes for another.
 */
export function accessTokenVerifier(
  jwks: { keys: unknown[] },
  now: () => number = Date.now,
): TokenVerifier {
  return createTokenVerifier({
    now,
    kinds: [
      {
        kind: 'access',
        issuer: ISSUERS.access,
        audienceFromCall: true,
        algorithms: ['EdDSA'],
        keys: { jwks },
      },
    ],
  })
}
