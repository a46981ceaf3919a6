/**
 * The token verifier: `createTokenVerifier(options)` checks the kinds once and returns
 * `verify(token, expect)`, which runs the steps below in order and either returns the
 * verified claims or throws a `TokenError`. The caller says which kind (or kinds, tried in
 * the order given) it expects; the token never chooses.
 */
import { jwtVerify, type CryptoKey } from 'jose'
import type { TokenAlgorithm, TokenKindName } from './constants.js'
import { TokenError, tokenErrorFromJose } from './errors.js'
import { defineTokenKinds, type TokenKind, type TokenKindConfig } from './kinds.js'
import { PinnedKeySet, type FetchJwks, type PinnedKeySetOptions } from './keyset.js'
import {
  checkAgainstKind,
  checkClaims,
  checkHeader,
  checkSize,
  decodeCompact,
  selectKind,
  type TokenClaims,
} from './steps.js'

export interface VerifiedToken {
  kind: TokenKindName
  issuer: string
  kid: string
  alg: TokenAlgorithm
  claims: TokenClaims
}

export interface TokenVerifierOptions {
  kinds: TokenKindConfig[]
  /** Milliseconds since the epoch; the verifier and its key set read no other clock. */
  now: () => number
  /** Needed when a kind pins its keys by URL. */
  fetchJwks?: FetchJwks
  /** Cache and limits of the key set (cooldown, refresh, stale limit, JWKS limits). */
  keySet?: Omit<PinnedKeySetOptions, 'now' | 'fetchJwks'>
  /** Last step: a verified token that is revoked (e.g. by `jti`) fails `TOKEN_REVOKED`. */
  isRevoked?: (token: VerifiedToken) => boolean | Promise<boolean>
}

export type ExpectedKinds = TokenKindName | readonly TokenKindName[]

export interface TokenVerifier {
  verify(token: string | null | undefined, expect: ExpectedKinds): Promise<VerifiedToken>
  readonly kinds: readonly TokenKind[]
  readonly keys: PinnedKeySet
}

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const kinds = defineTokenKinds(options.kinds, options.keySet)
  const keys = new PinnedKeySet({
    ...options.keySet,
    now: options.now,
    ...(options.fetchJwks ? { fetchJwks: options.fetchJwks } : {}),
  })
  for (const kind of kinds) keys.pin(kind.issuer, kind.keys)
  const { now, isRevoked } = options

  function candidatesFor(expect: ExpectedKinds): TokenKind[] {
    const names = typeof expect === 'string' ? [expect] : expect
    const out = names.flatMap((name) => kinds.filter((k) => k.kind === name))
    if (out.length === 0)
      throw new TypeError(`token verifier: no kind ${names.join(', ')} configured`)
    return out
  }

  async function verify(
    input: string | null | undefined,
    expect: ExpectedKinds,
  ): Promise<VerifiedToken> {
    const candidates = candidatesFor(expect)
    const at = now()

    const token = checkSize(input, Math.max(...candidates.map((k) => k.maxTokenBytes)))
    const { header, payload } = decodeCompact(token)
    const checked = checkHeader(header)
    const { alg, kid } = checked
    const kind = selectKind(candidates, kinds, payload)
    checkAgainstKind(token, checked, kind)

    const key = await keys.get(kind.issuer, kid)
    if (!key) throw new TokenError('TOKEN_KEY_UNKNOWN', 'kid not in the pinned key set')
    if (!key.fits(alg)) {
      throw new TokenError('TOKEN_ALGORITHM_NOT_ALLOWED', 'alg does not fit the key')
    }
    let cryptoKey: CryptoKey
    try {
      cryptoKey = await key.cryptoKey(alg)
    } catch {
      throw new TokenError('TOKEN_KEY_UNKNOWN', 'pinned key could not be imported')
    }

    let verified: Record<string, unknown>
    try {
      const result = await jwtVerify(token, cryptoKey, {
        algorithms: [alg],
        issuer: kind.issuer,
        audience: [...kind.audience],
        requiredClaims: [...kind.requiredClaims],
        clockTolerance: kind.clockSkewSeconds,
        currentDate: new Date(at),
      })
      verified = result.payload as Record<string, unknown>
    } catch (error) {
      throw tokenErrorFromJose(error)
    }

    const claims = checkClaims(verified, kind, at)
    const result: VerifiedToken = { kind: kind.kind, issuer: kind.issuer, kid, alg, claims }
    if (isRevoked && (await isRevoked(result))) {
      throw new TokenError('TOKEN_REVOKED', 'revoked')
    }
    return result
  }

  return { verify, kinds, keys }
}
