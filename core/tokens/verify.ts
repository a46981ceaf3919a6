/**
 * The token verifier: `createTokenVerifier(options)` checks the kinds once and returns
 * `verify(token, expect)`, which runs the steps below in order and either returns the
 * verified claims or throws a `TokenError`. The caller says which kind (or kinds, tried in
 * the order given) it expects; the token never chooses.
 */
import { jwtVerify, type CryptoKey } from 'jose'
import {
  KIND_DEFAULTS,
  TOKEN_KIND_NAMES,
  type TokenAlgorithm,
  type TokenKindName,
} from './constants.js'
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

export interface VerifyOptions {
  /**
   * The audience this verification serves. The token must name it in `aud`. For a kind with
   * a fixed audience it narrows (it must be one of the kind's); for a kind whose audience
   * comes from the call (`audienceFromCall`, access tokens) it is required.
   */
  audience?: string
}

export interface TokenVerifier {
  verify(
    token: string | null | undefined,
    expect: ExpectedKinds,
    options?: VerifyOptions,
  ): Promise<VerifiedToken>
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

  /**
   * The configured kinds among those expected. None (a verifier of an edge with no identity
   * provider asked for `external`) refuses every token by the usual steps: its issuer is
   * another kind's (`TOKEN_KIND_MISMATCH`) or nobody's (`TOKEN_ISSUER_NOT_TRUSTED`).
   */
  function candidatesFor(expect: ExpectedKinds): TokenKind[] {
    const names = typeof expect === 'string' ? [expect] : expect
    for (const name of names) {
      if (!TOKEN_KIND_NAMES.includes(name)) throw new TypeError(`token verifier: no kind ${name}`)
    }
    return names.flatMap((name) => kinds.filter((k) => k.kind === name))
  }

  async function verify(
    input: string | null | undefined,
    expect: ExpectedKinds,
    call: VerifyOptions = {},
  ): Promise<VerifiedToken> {
    const candidates = candidatesFor(expect)
    const at = now()

    const limit = candidates.length
      ? Math.max(...candidates.map((k) => k.maxTokenBytes))
      : KIND_DEFAULTS.maxTokenBytes
    const token = checkSize(input, limit)
    const { header, payload } = decodeCompact(token)
    const checked = checkHeader(header)
    const { alg, kid } = checked
    const kind = selectKind(candidates, kinds, payload)
    checkAgainstKind(token, checked, kind)
    const audiences = audiencesOf(kind, call.audience)

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
        audience: [...audiences],
        requiredClaims: [...kind.requiredClaims],
        // jose applies it to exp too; checkClaims then refuses any exp that has passed.
        clockTolerance: kind.clockSkewSeconds,
        currentDate: new Date(at),
      })
      verified = result.payload as Record<string, unknown>
    } catch (error) {
      throw tokenErrorFromJose(error)
    }

    const claims = checkClaims(verified, kind, at, audiences)
    const result: VerifiedToken = { kind: kind.kind, issuer: kind.issuer, kid, alg, claims }
    if (isRevoked && (await isRevoked(result))) {
      throw new TokenError('TOKEN_REVOKED', 'revoked')
    }
    return result
  }

  return { verify, kinds, keys }
}

/** The audiences a token may name in this verification: the kind's, or the one asked for. */
function audiencesOf(kind: TokenKind, asked: string | undefined): readonly string[] {
  if (asked === undefined) {
    if (kind.audienceFromCall) {
      throw new TokenError('TOKEN_AUDIENCE_INVALID', 'no audience given for this kind')
    }
    return kind.audience
  }
  if (!kind.audienceFromCall && !kind.audience.includes(asked)) {
    throw new TokenError('TOKEN_AUDIENCE_INVALID', 'the audience asked for is not the kind’s')
  }
  return [asked]
}
