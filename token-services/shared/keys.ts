/**
 * Signing keys: the secret `{ "current": <private JWK>, "previous"?: <private JWK> }` read,
 * checked and imported with jose. Signing uses `current`; the JWKS publishes both public
 * keys, so tokens signed before a rotation keep verifying until `previous` is dropped.
 */
import { CompactSign, compactVerify, importJWK, type CryptoKey } from 'jose'
import { failureReason } from '../../core/errors/index.js'
import type { PublicJwk, PublicJwks } from '../../core/tokens/rpc.js'
import { isObject } from '../../core/util/is-object.js'
import { KID_PATTERN } from './constants.js'
import { TokenServiceError } from './errors.js'

export interface SigningKey {
  readonly kid: string
  readonly privateKey: CryptoKey
  readonly publicJwk: Readonly<PublicJwk>
}

export interface SigningKeys {
  readonly current: SigningKey
  readonly previous?: SigningKey
}

/** 32 bytes, base64url without padding: an Ed25519 `d` or `x`. */
const KEY_BYTES = /^[A-Za-z0-9_-]{43}$/
const PROBE = new TextEncoder().encode('portcullis signing key probe')

function invalid(source: string, what: string): never {
  throw new TokenServiceError('SIGNING_KEYS_INVALID', `${source}: ${what}`)
}

interface PrivateJwk {
  kid: string
  d: string
  x: string
}

// Every message names the member and the rule, never a value: `d` is the private key.
function privateJwkOf(source: string, member: string, value: unknown): PrivateJwk {
  if (!isObject(value)) invalid(source, `${member} must be a private JWK object`)
  if (value.kty !== 'OKP' || value.crv !== 'Ed25519') {
    invalid(source, `${member} must be an Ed25519 key (kty OKP, crv Ed25519)`)
  }
  if (typeof value.d !== 'string' || !KEY_BYTES.test(value.d)) {
    invalid(source, `${member} must be a private key (an Ed25519 d)`)
  }
  if (typeof value.x !== 'string' || !KEY_BYTES.test(value.x)) {
    invalid(source, `${member} must carry its public key (an Ed25519 x)`)
  }
  if (typeof value.kid !== 'string' || !KID_PATTERN.test(value.kid)) {
    invalid(source, `${member}.kid must be 1 to 64 letters, digits, _ or -`)
  }
  if (value.alg !== undefined && value.alg !== 'EdDSA' && value.alg !== 'Ed25519') {
    invalid(source, `${member}.alg must be EdDSA`)
  }
  if (value.use !== undefined && value.use !== 'sig') invalid(source, `${member}.use must be sig`)
  return { kid: value.kid, d: value.d, x: value.x }
}

async function importKey(source: string, member: string, jwk: PrivateJwk): Promise<SigningKey> {
  const base = { kty: 'OKP', crv: 'Ed25519', x: jwk.x } as const
  try {
    const privateKey = (await importJWK({ ...base, d: jwk.d }, 'EdDSA', {
      extractable: false,
    })) as CryptoKey
    const publicKey = await importJWK(base, 'EdDSA')
    // A `d` and an `x` that do not belong together import fine and then sign tokens that no
    // published key verifies: prove the pair once, here.
    const probe = await new CompactSign(PROBE).setProtectedHeader({ alg: 'EdDSA' }).sign(privateKey)
    await compactVerify(probe, publicKey, { algorithms: ['EdDSA'] })
    return {
      kid: jwk.kid,
      privateKey,
      publicJwk: Object.freeze({ ...base, kid: jwk.kid, alg: 'EdDSA', use: 'sig' } as const),
    }
  } catch {
    return invalid(source, `${member} is not a usable Ed25519 key pair (d and x do not match)`)
  }
}

/**
 * Reads a signing-keys secret. `source` names where it came from in messages
 * (`binding ACCESS_SIGNING_KEYS`, `key file ...`); the value itself is never echoed.
 */
export async function loadSigningKeys(source: string, raw: unknown): Promise<SigningKeys> {
  if (raw === undefined || raw === null || raw === '') {
    throw new TokenServiceError('SIGNING_KEYS_MISSING', `${source} is not set`)
  }
  // A plain var would print the private keys in wrangler's banner and the dashboard.
  if (typeof raw !== 'string') invalid(source, 'must be a secret holding JSON text')
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    // JSON.parse's own message quotes the text it choked on.
    invalid(source, 'is not valid JSON')
  }
  if (!isObject(parsed)) invalid(source, 'must be a JSON object { current, previous? }')
  if (Object.keys(parsed).some((k) => k !== 'current' && k !== 'previous')) {
    invalid(source, 'may hold only current and previous')
  }
  const current = privateJwkOf(source, 'current', parsed.current)
  const previous =
    parsed.previous === undefined || parsed.previous === null
      ? undefined
      : privateJwkOf(source, 'previous', parsed.previous)
  if (previous && previous.kid === current.kid) {
    invalid(source, 'current and previous must have different kids')
  }
  if (previous && previous.x === current.x) invalid(source, 'current and previous are one key')
  const keys: SigningKeys = {
    current: await importKey(source, 'current', current),
    ...(previous && { previous: await importKey(source, 'previous', previous) }),
  }
  return Object.freeze(keys)
}

/**
 * Imports a binding's keys once per isolate. The cache is keyed by the binding's value, so an
 * environment with other keys (a test, a redeploy) imports again; a refused value keeps
 * failing with the same error, without parsing it again.
 */
export function signingKeysOf(source: string): (raw: unknown) => Promise<SigningKeys> {
  let last: { raw: unknown; keys: Promise<SigningKeys> } | undefined
  return (raw) => {
    if (!last || last.raw !== raw) {
      const keys = loadSigningKeys(source, raw)
      // Once per value: the operator's log says why every call fails (no key material in it).
      keys.catch((e: unknown) => {
        const reason = failureReason(e)
        console.error(JSON.stringify({ event: 'signing-keys-refused', reason }))
      })
      last = { raw, keys }
    }
    return last.keys
  }
}

/** The public keys verifiers need: current first, then previous while it is kept. */
export function jwksOf(keys: SigningKeys): PublicJwks {
  return {
    keys: [keys.current, keys.previous]
      .filter((k): k is SigningKey => k !== undefined)
      .map((k) => ({ ...k.publicJwk })),
  }
}
