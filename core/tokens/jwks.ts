/**
 * Reading a JSON Web Key Set into the public signing keys it pins. A document that is too
 * large, has too many keys, repeats a `kid` or carries private or symmetric key material is
 * refused whole; a key that is not for signatures, or of a type we never verify with, is
 * skipped. Kept keys hold only their public members.
 */
import type { JWK } from 'jose'
import {
  EXTERNAL_ALGORITHMS,
  KEYSET_DEFAULTS,
  KID_PATTERN,
  type TokenAlgorithm,
} from './constants.js'
import { parseStrictJson } from './json.js'
import { isObject } from '../util/index.js'

export interface JwksLimits {
  maxKeys: number
  maxKeyBytes: number
  maxJwksBytes: number
}

export interface PublicKeyRecord {
  kid: string
  kty: 'RSA' | 'EC' | 'OKP'
  crv?: string
  /** The key's own `alg`, when it names one: the only algorithm it then verifies. */
  alg?: TokenAlgorithm
  /** The public members only, as handed to `importJWK`. */
  jwk: JWK
}

export class JwksError extends Error {
  constructor(reason: string) {
    super(`jwks: ${reason}`)
    this.name = 'JwksError'
  }
}

/** Members that only private or symmetric keys have. */
const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv']

const PUBLIC_MEMBERS: Record<PublicKeyRecord['kty'], string[]> = {
  RSA: ['n', 'e'],
  EC: ['crv', 'x', 'y'],
  OKP: ['crv', 'x'],
}

const CURVES: Record<string, string[]> = { EC: ['P-256', 'P-384'], OKP: ['Ed25519'] }

/** Which key type (and curve) each algorithm needs. */
const ALG_KEY: Record<TokenAlgorithm, { kty: PublicKeyRecord['kty']; crv?: string }> = {
  RS256: { kty: 'RSA' },
  RS384: { kty: 'RSA' },
  RS512: { kty: 'RSA' },
  PS256: { kty: 'RSA' },
  PS384: { kty: 'RSA' },
  PS512: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: 'P-256' },
  ES384: { kty: 'EC', crv: 'P-384' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
}

/** Whether `key` may verify a signature made with `alg`: its type, curve and own `alg` agree. */
export function keyFitsAlgorithm(key: PublicKeyRecord, alg: string): alg is TokenAlgorithm {
  const need = Object.hasOwn(ALG_KEY, alg) ? ALG_KEY[alg as TokenAlgorithm] : undefined
  if (!need || need.kty !== key.kty) return false
  if (need.crv !== undefined && need.crv !== key.crv) return false
  return key.alg === undefined || key.alg === alg
}

function byteSize(value: unknown): number {
  try {
    return JSON.stringify(value)?.length ?? Infinity
  } catch {
    return Infinity
  }
}

function keyOf(raw: unknown, limits: JwksLimits): PublicKeyRecord | undefined {
  if (!isObject(raw)) throw new JwksError('a key is not an object')
  if (byteSize(raw) > limits.maxKeyBytes) throw new JwksError('a key is too large')
  if (raw.kty === 'oct') throw new JwksError('symmetric key material refused')
  for (const m of SECRET_MEMBERS) {
    if (Object.hasOwn(raw, m)) throw new JwksError('private key material refused')
  }
  if (raw.use !== undefined && raw.use !== 'sig') return undefined
  if (
    raw.key_ops !== undefined &&
    !(Array.isArray(raw.key_ops) && raw.key_ops.includes('verify'))
  ) {
    return undefined
  }
  const kty = raw.kty
  if (kty !== 'RSA' && kty !== 'EC' && kty !== 'OKP') return undefined
  if (typeof raw.kid !== 'string' || !KID_PATTERN.test(raw.kid)) return undefined
  const curves = CURVES[kty]
  if (curves && !curves.includes(raw.crv as string)) return undefined
  const jwk: JWK = { kty }
  for (const m of PUBLIC_MEMBERS[kty]) {
    if (typeof raw[m] !== 'string' || raw[m] === '') return undefined
    ;(jwk as Record<string, unknown>)[m] = raw[m]
  }
  const record: PublicKeyRecord = { kid: raw.kid, kty, jwk }
  if (kty !== 'RSA') record.crv = raw.crv as string
  if (raw.alg !== undefined) {
    if (!(EXTERNAL_ALGORITHMS as readonly unknown[]).includes(raw.alg)) return undefined
    record.alg = raw.alg as TokenAlgorithm
    if (!keyFitsAlgorithm(record, record.alg)) return undefined
  }
  return record
}

/**
 * The signing keys of a JWKS, given as parsed JSON or as its text (preferred: the size is
 * checked before parsing, and duplicate JSON keys are refused). Throws `JwksError`.
 */
export function parseJwks(input: unknown, limits: Partial<JwksLimits> = {}): PublicKeyRecord[] {
  const l: JwksLimits = {
    maxKeys: limits.maxKeys ?? KEYSET_DEFAULTS.maxKeys,
    maxKeyBytes: limits.maxKeyBytes ?? KEYSET_DEFAULTS.maxKeyBytes,
    maxJwksBytes: limits.maxJwksBytes ?? KEYSET_DEFAULTS.maxJwksBytes,
  }
  let doc = input
  if (typeof input === 'string') {
    if (input.length > l.maxJwksBytes) throw new JwksError('document too large')
    try {
      doc = parseStrictJson(input)
    } catch {
      throw new JwksError('document is not strict JSON')
    }
  } else if (byteSize(input) > l.maxJwksBytes) {
    throw new JwksError('document too large')
  }
  if (!isObject(doc) || !Array.isArray(doc.keys)) throw new JwksError('no keys array')
  if (doc.keys.length > l.maxKeys) throw new JwksError('too many keys')
  const out: PublicKeyRecord[] = []
  const kids = new Set<string>()
  for (const raw of doc.keys) {
    const key = keyOf(raw, l)
    if (!key) continue
    if (kids.has(key.kid)) throw new JwksError('a kid appears twice')
    kids.add(key.kid)
    out.push(key)
  }
  return out
}
