/**
 * The pinned key set: verification keys by (issuer, kid), taken only from the source pinned
 * for each issuer (a JWKS handed in, or a URL from config fetched through the injected
 * `fetchJwks`), never from a token.
 *
 * For a URL source:
 * - single flight: lookups that need a refresh while one is running share it;
 * - cooldown: at most one fetch per `cooldownSeconds`, whatever asks for it, so a flood of
 *   unknown kids costs one fetch;
 * - negative cache: a kid found unknown stays unknown until the next successful refresh;
 * - refresh after `refreshSeconds`; stale on error: a failed refresh (fetch error or refused
 *   document) keeps the last good keys until they are `maxStaleSeconds` old, then drops them.
 * Keys are imported (jose `importJWK`) once per algorithm and cached with the key.
 * Time comes from the injected `now()` (milliseconds); nothing here reads a clock.
 */
import { importJWK, type CryptoKey } from 'jose'
import { KEYSET_DEFAULTS, type TokenAlgorithm } from './constants.js'
import {
  JwksError,
  keyFitsAlgorithm,
  parseJwks,
  type JwksLimits,
  type PublicKeyRecord,
} from './jwks.js'
import { pinnedUrl, type KeySource } from './kinds.js'

export type FetchJwks = (url: string) => Promise<unknown>

export interface PinnedKeySetOptions extends Partial<JwksLimits> {
  now: () => number
  /** Fetches a pinned JWKS URL; returns the body text (preferred) or parsed JSON. */
  fetchJwks?: FetchJwks
  cooldownSeconds?: number
  refreshSeconds?: number
  maxStaleSeconds?: number
  refreshWaitMs?: number
  maxUnknownKids?: number
}

/** A pinned key, ready to verify: its public record and its imported form per algorithm. */
export class PinnedKey {
  readonly record: PublicKeyRecord
  readonly issuer: string
  readonly #imported = new Map<TokenAlgorithm, Promise<CryptoKey>>()

  constructor(issuer: string, record: PublicKeyRecord) {
    this.issuer = issuer
    this.record = record
  }

  get kid(): string {
    return this.record.kid
  }

  fits(alg: string): alg is TokenAlgorithm {
    return keyFitsAlgorithm(this.record, alg)
  }

  /** The imported key for `alg`; imported once. Throws if the key does not fit `alg`. */
  cryptoKey(alg: TokenAlgorithm): Promise<CryptoKey> {
    if (!this.fits(alg)) return Promise.reject(new TypeError('key does not fit the algorithm'))
    let key = this.#imported.get(alg)
    if (!key) {
      key = importJWK({ ...this.record.jwk, alg }, alg, {
        extractable: false,
      }) as Promise<CryptoKey>
      this.#imported.set(alg, key)
    }
    return key
  }
}

export interface KeySetStatus {
  issuer: string
  source: 'jwks' | 'url'
  kids: string[]
  /** When the keys in use were loaded (ms), if any are. */
  loadedAt?: number
  fetches: number
  failures: number
  lastError?: string
}

interface IssuerState {
  issuer: string
  url?: string
  keys?: Map<string, PinnedKey>
  loadedAt?: number
  lastAttempt?: number
  flight?: Promise<void>
  flightStarted?: number
  unknown: Set<string>
  fetches: number
  failures: number
  lastError?: string
}

function toMap(issuer: string, records: PublicKeyRecord[]): Map<string, PinnedKey> {
  return new Map(records.map((r) => [r.kid, new PinnedKey(issuer, r)]))
}

export class PinnedKeySet {
  readonly #options: Required<Omit<PinnedKeySetOptions, 'fetchJwks'>> & { fetchJwks?: FetchJwks }
  readonly #issuers = new Map<string, IssuerState>()

  constructor(options: PinnedKeySetOptions) {
    if (typeof options?.now !== 'function') throw new TypeError('key set: now() is required')
    this.#options = {
      now: options.now,
      fetchJwks: options.fetchJwks,
      cooldownSeconds: options.cooldownSeconds ?? KEYSET_DEFAULTS.cooldownSeconds,
      refreshSeconds: options.refreshSeconds ?? KEYSET_DEFAULTS.refreshSeconds,
      maxStaleSeconds: options.maxStaleSeconds ?? KEYSET_DEFAULTS.maxStaleSeconds,
      refreshWaitMs: options.refreshWaitMs ?? KEYSET_DEFAULTS.refreshWaitMs,
      maxUnknownKids: options.maxUnknownKids ?? KEYSET_DEFAULTS.maxUnknownKids,
      maxKeys: options.maxKeys ?? KEYSET_DEFAULTS.maxKeys,
      maxKeyBytes: options.maxKeyBytes ?? KEYSET_DEFAULTS.maxKeyBytes,
      maxJwksBytes: options.maxJwksBytes ?? KEYSET_DEFAULTS.maxJwksBytes,
    }
    const o = this.#options
    for (const [name, value] of Object.entries(o)) {
      if (name === 'now' || name === 'fetchJwks') continue
      if (typeof value !== 'number' || !(value >= 0)) {
        throw new TypeError(`key set: ${name} must be a non-negative number`)
      }
    }
    if (o.maxStaleSeconds < o.refreshSeconds) {
      throw new TypeError('key set: maxStaleSeconds must not be below refreshSeconds')
    }
  }

  /** Pins the key source of an issuer. Pinning the same issuer twice is refused. */
  pin(issuer: string, source: KeySource): void {
    if (this.#issuers.has(issuer)) throw new TypeError(`key set: issuer ${issuer} pinned twice`)
    const state: IssuerState = { issuer, unknown: new Set(), fetches: 0, failures: 0 }
    if ('url' in source) {
      if (!this.#options.fetchJwks) {
        throw new TypeError(`key set: issuer ${issuer} has a URL source but no fetchJwks`)
      }
      state.url = pinnedUrl(source.url, issuer)
    } else {
      state.keys = toMap(issuer, parseJwks(source.jwks, this.#options))
    }
    this.#issuers.set(issuer, state)
  }

  has(issuer: string): boolean {
    return this.#issuers.has(issuer)
  }

  /** The key pinned for (issuer, kid), refreshing a URL source when allowed; else undefined. */
  async get(issuer: string, kid: string): Promise<PinnedKey | undefined> {
    const s = this.#issuers.get(issuer)
    if (!s) return undefined
    if (s.url === undefined) return s.keys?.get(kid)

    const now = this.#options.now()
    this.#dropExpired(s, now)
    const due = s.keys === undefined || now - s.loadedAt! >= this.#options.refreshSeconds * 1000
    const known = s.keys?.get(kid)
    if (!due && (known || s.unknown.has(kid))) return known

    await this.#refresh(s, now)
    this.#dropExpired(s, this.#options.now())
    const key = s.keys?.get(kid)
    if (!key && s.unknown.size < this.#options.maxUnknownKids) s.unknown.add(kid)
    return key
  }

  /**
   * Refreshes a URL source now, within the cooldown and single flight like any lookup.
   * Resolves true when the keys are fresh afterwards.
   */
  async refresh(issuer: string): Promise<boolean> {
    const s = this.#issuers.get(issuer)
    if (!s || s.url === undefined) return false
    const now = this.#options.now()
    await this.#refresh(s, now)
    return s.loadedAt !== undefined && s.loadedAt >= now
  }

  status(issuer: string): KeySetStatus | undefined {
    const s = this.#issuers.get(issuer)
    if (!s) return undefined
    const status: KeySetStatus = {
      issuer,
      source: s.url === undefined ? 'jwks' : 'url',
      kids: [...(s.keys?.keys() ?? [])],
      fetches: s.fetches,
      failures: s.failures,
    }
    if (s.loadedAt !== undefined) status.loadedAt = s.loadedAt
    if (s.lastError !== undefined) status.lastError = s.lastError
    return status
  }

  #dropExpired(s: IssuerState, now: number): void {
    if (
      s.keys &&
      s.loadedAt !== undefined &&
      now - s.loadedAt > this.#options.maxStaleSeconds * 1000
    ) {
      s.keys = undefined
      s.loadedAt = undefined
    }
  }

  async #refresh(s: IssuerState, now: number): Promise<void> {
    if (s.flight && now - s.flightStarted! > this.#options.refreshWaitMs) {
      // A refresh that never settled (its request ended): forget it; the cooldown still holds.
      s.flight = undefined
      s.failures++
      s.lastError = 'refresh abandoned'
    }
    if (!s.flight) {
      const cooling =
        s.lastAttempt !== undefined && now - s.lastAttempt < this.#options.cooldownSeconds * 1000
      if (cooling) return
      s.lastAttempt = now
      s.fetches++
      const flight: Promise<void> = this.#load(s).finally(() => {
        if (s.flight === flight) s.flight = undefined
      })
      s.flight = flight
      s.flightStarted = now
    }
    await this.#wait(s.flight)
  }

  async #load(s: IssuerState): Promise<void> {
    try {
      const body = await this.#options.fetchJwks!(s.url!)
      const records = parseJwks(body, this.#options)
      s.keys = toMap(s.issuer, records)
      s.loadedAt = this.#options.now()
      s.unknown.clear()
      s.lastError = undefined
    } catch (error) {
      // Stale on error: the last good keys stay until they are too old.
      s.failures++
      s.lastError = error instanceof JwksError ? error.message : 'fetch failed'
    }
  }

  /**
   * Waits for a shared refresh, but not forever: on Workers a refresh started by another
   * request may never settle for this one (its request may have ended).
   */
  async #wait(flight: Promise<void>): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#options.refreshWaitMs)
    })
    try {
      await Promise.race([flight, timeout])
    } finally {
      if (timer !== undefined) clearTimeout(timer)
    }
  }
}
