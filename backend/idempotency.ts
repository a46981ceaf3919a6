/**
 * A client's `Idempotency-Key` (IETF httpapi draft "The Idempotency-Key HTTP Header Field"):
 * a retry of a non-safe request with the same key gets the first answer, never a second
 * upstream call. The record lives in a store handed in (`IdempotencyStore`; the JetStream one
 * is idempotency-store.ts); this file is the decision, and reads no clock of its own.
 *
 * A record is named by a digest of (host, verified caller, key), so one caller can never reach
 * another's. Its states: `pending` (the attempt's request id, the request's fingerprint, a
 * lease) while the upstream call runs; `done` (the upstream's answer, bounded) after it;
 * `released` when the call failed before the upstream had the request (a new attempt may
 * claim it). backend/README.md has the table of outcomes.
 *
 * When the outcome of an attempt is not known (it died holding the key, or failed after the
 * upstream may have applied it), the answer depends on the upstream: one that honours
 * `Idempotency-Key` itself (`upstreams.<host>.honoursIdempotencyKey`) is simply asked again
 * with the same key and replays its own answer; for any other, a new call could apply the
 * request twice, so the client is told 502 WRITE_OUTCOME_UNKNOWN.
 */
import {
  failureReason,
  GatewayError,
  IDEMPOTENCY_KEY_HEADER,
  isWriteMethod,
  RetryLaterError,
  parseIdempotencyKey,
  type ErrorCode,
  type HeaderList,
  type RequestEnvelope,
} from '../core/index.js'
import { sha256HexSync } from '../runtime/index.js'
import { UPSTREAM_HEADERS } from './headers.js'
import type { UpstreamRequest } from './request.js'
import type { UpstreamResult } from './upstream.js'

/** What the record keeps of an answer: the upstream's, or the code of how it failed. */
export interface StoredAnswer {
  status: number
  headers: HeaderList
  body: Uint8Array
  error?: ErrorCode
}

export type IdempotencyRecord =
  | { state: 'pending'; requestId: string; fingerprint: string; leaseUntil: number }
  | { state: 'done'; requestId: string; fingerprint: string; answer: StoredAnswer }
  | { state: 'released'; requestId: string; fingerprint: string }

export interface StoredRecord {
  record: IdempotencyRecord
  /** The store's version of the slot: a write names the one it replaces (0: none). */
  revision: number
}

/** Where records live. Both calls throw when the store cannot be reached. */
export interface IdempotencyStore {
  read(host: string, digest: string): Promise<StoredRecord | undefined>
  /** Writes `record` if the slot is still at `revision`; the new revision, or false if not. */
  write(
    host: string,
    digest: string,
    record: IdempotencyRecord,
    revision: number,
  ): Promise<number | false>
}

/** The response header that marks an answer replayed from the record (no upstream call). */
export const REPLAYED_HEADER = 'idempotent-replayed'
/** Bytes of an answer's body kept for a replay; a longer answer is not replayable. */
export const MAX_REPLAY_BODY_BYTES = 256 * 1024
/**
 * A pending attempt holds its key for its upstream timeout plus this: long enough to cover a
 * bus electing a new leader (4-9 s on nats-server 2.9) while its done record is written again.
 */
export const LEASE_MARGIN_MS = 15_000
/** How long a done record the store did not take is tried again in the background. */
export const DONE_RETRY_MS = 30_000

export interface IdempotencyScope {
  /** Hex SHA-256 of (host, caller, key): the record's name, and the key sent upstream. */
  digest: string
  /** Hex SHA-256 of method, port, path, query and body: what a retry must repeat. */
  fingerprint: string
}

/** The `sub` of an access token (verified by the request validator before creq). */
export function actorSubject(token: string): string | undefined {
  const payload = token.split('.')[1]
  if (payload === undefined) return undefined
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown
    const sub = (claims as { sub?: unknown } | null)?.sub
    return typeof sub === 'string' && sub.length > 0 ? sub : undefined
  } catch {
    return undefined
  }
}

/**
 * The record a request names, or undefined when it carries no key or its method is safe.
 * Throws IDEMPOTENCY_KEY_INVALID (the request validator's refusal, again) for a key that is
 * not one, or one without a verified caller to scope it to.
 */
export function idempotencyScopeOf(env: RequestEnvelope): IdempotencyScope | undefined {
  // Only a write's key is honoured: a GET is idempotent already.
  if (!isWriteMethod(env.method)) return undefined
  let value: string | undefined
  for (const [name, v] of env.headers) {
    if (name !== IDEMPOTENCY_KEY_HEADER) continue
    if (value !== undefined) throw invalidKey('more than one Idempotency-Key')
    value = v
  }
  if (value === undefined) return undefined
  const key = parseIdempotencyKey(value)
  if (key === undefined) throw invalidKey('Idempotency-Key is not a key')
  const caller = env.actor === undefined ? undefined : actorSubject(env.actor)
  if (caller === undefined) throw invalidKey('Idempotency-Key without a verified caller')
  const digest = sha256HexSync(JSON.stringify([env.host, caller, key]))
  const fingerprint = sha256HexSync(
    JSON.stringify([env.method, env.port, env.path, env.query]),
    '\n',
    env.body,
  )
  return { digest, fingerprint }
}

function invalidKey(reason: string): GatewayError {
  return new GatewayError('IDEMPOTENCY_KEY_INVALID', { reason })
}

function unavailable(reason: string): GatewayError {
  return new GatewayError('IDEMPOTENCY_STORE_UNAVAILABLE', { reason })
}

function outcomeUnknown(detail: string, reason: string): GatewayError {
  return new GatewayError('WRITE_OUTCOME_UNKNOWN', { detail, reason })
}

/** Failures after which the upstream may have applied the request: never called again. */
const MAY_HAVE_APPLIED: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'UPSTREAM_TIMEOUT',
  'WRITE_OUTCOME_UNKNOWN',
  'RESPONSE_TOO_LARGE',
])

export interface GuardedResult extends UpstreamResult {
  /** The answer came from the record; the upstream was not called. */
  replayed?: true
}

export type UpstreamCall = (req: UpstreamRequest) => Promise<UpstreamResult>

export interface IdempotencyGuard {
  /**
   * Calls the upstream for `env` at most once per (host, caller, key): the answer, the
   * recorded answer (`replayed`), or a GatewayError (422, 409, 502, 503) without a call.
   */
  call(
    env: RequestEnvelope,
    sent: UpstreamRequest,
    now: number,
    call: UpstreamCall,
  ): Promise<GuardedResult>
}

export interface GuardOptions {
  store: IdempotencyStore
  /**
   * The upstream de-duplicates on the `Idempotency-Key` it is sent (and replays its first
   * answer): an attempt whose outcome is unknown may be sent again with the same key.
   */
  upstreamHonoursKeys?: boolean
  /** Where a failure to complete a record is told (the answer still goes to the client). */
  warn?: (event: string, fields: Record<string, unknown>) => void
}

function replay(answer: StoredAnswer, askAgain: boolean): GuardedResult | undefined {
  if (answer.error) {
    if (askAgain) return undefined
    // The first attempt failed in a way that may have applied the request: so says its replay.
    throw outcomeUnknown(
      'an earlier request with this Idempotency-Key may have been applied; its answer was not kept',
      `replayed ${answer.error}`,
    )
  }
  return {
    status: answer.status,
    headers: [...answer.headers, [REPLAYED_HEADER, 'true']],
    body: answer.body,
    replayed: true,
  }
}

export function createIdempotencyGuard(options: GuardOptions): IdempotencyGuard {
  const { store } = options
  const askAgain = options.upstreamHonoursKeys === true
  const warn = options.warn ?? (() => {})

  /** What an existing record answers; undefined when the slot may be claimed. */
  const decide = (
    env: RequestEnvelope,
    scope: IdempotencyScope,
    found: StoredRecord,
    now: number,
  ) => {
    const { record } = found
    if (record.state === 'released') return undefined
    if (record.fingerprint !== scope.fingerprint) {
      throw new GatewayError('IDEMPOTENCY_KEY_REUSED', {
        detail: 'this Idempotency-Key was used with another request',
        reason: `key first used by ${record.requestId}`,
      })
    }
    if (record.state === 'done') return replay(record.answer, askAgain)
    if (askAgain && (record.requestId === env.requestId || record.leaseUntil <= now)) {
      // Its holder died or lost track, and the upstream replays its own answer for the key.
      return undefined
    }
    if (record.requestId === env.requestId) {
      // A redelivery of the attempt that holds the key: it died after claiming it, perhaps
      // after the upstream applied it, or its done record is still being written (a bus
      // electing a leader). Never a second call: while the lease runs the message is handed
      // back to look again later; after it, the outcome is unknown.
      const unknown = outcomeUnknown(
        'the gateway lost track of this request after it may have reached the upstream',
        'redelivered attempt finds its own pending record',
      )
      if (record.leaseUntil > now) throw new RetryLaterError(unknown)
      throw unknown
    }
    if (record.leaseUntil > now) {
      throw new GatewayError('IDEMPOTENCY_KEY_IN_FLIGHT', {
        detail: 'a request with this Idempotency-Key is still in progress',
        reason: `held by ${record.requestId}`,
      })
    }
    throw outcomeUnknown(
      'an earlier request with this Idempotency-Key may have been applied; its answer was lost',
      `lease of ${record.requestId} expired`,
    )
  }

  const read = async (host: string, digest: string) => {
    try {
      return await store.read(host, digest)
    } catch (e) {
      throw unavailable(`read: ${failureReason(e)}`)
    }
  }
  const write = async (host: string, digest: string, record: IdempotencyRecord, rev: number) => {
    try {
      return await store.write(host, digest, record, rev)
    } catch (e) {
      throw unavailable(`write: ${failureReason(e)}`)
    }
  }

  /** Writes a done record until the store takes it or refuses it, for DONE_RETRY_MS at most. */
  const completeLater = async (
    host: string,
    digest: string,
    record: IdempotencyRecord,
    revision: number,
  ): Promise<void> => {
    const until = Date.now() + DONE_RETRY_MS
    for (let delay = 250; Date.now() < until; delay = Math.min(delay * 2, 2_000)) {
      await new Promise((r) => setTimeout(r, delay))
      try {
        const written = await store.write(host, digest, record, revision)
        if (written === false) warn('idempotency-record-failed', { reason: 'slot moved' })
        return
      } catch {
        // still away: try again
      }
    }
    warn('idempotency-record-failed', { requestId: record.requestId, reason: 'store away' })
  }

  return {
    async call(env, sent, now, call) {
      const scope = idempotencyScopeOf(env)
      if (!scope) return call(sent)
      // The upstream de-duplicates on the scoped key too: a naive upstream keyed on the
      // client's text alone would otherwise mix two callers' keys.
      sent.headers[UPSTREAM_HEADERS.idempotencyKey] = `"${scope.digest}"`
      const { host, requestId } = env
      const base = { requestId, fingerprint: scope.fingerprint }
      let found = await read(host, scope.digest)
      let revision = 0
      for (let tries = 0; ; tries++) {
        if (found) {
          const answer = decide(env, scope, found, now)
          if (answer) return answer
          revision = found.revision
        }
        const leaseUntil = now + sent.timeoutMs + LEASE_MARGIN_MS
        const claimed = await write(
          host,
          scope.digest,
          { state: 'pending', ...base, leaseUntil },
          revision,
        )
        if (claimed !== false) {
          revision = claimed
          break
        }
        // Another attempt wrote first: what it wrote decides (409 in flight, a replay, 422).
        if (tries > 0) throw unavailable('the record kept changing')
        found = await read(host, scope.digest)
      }

      let result: UpstreamResult
      try {
        result = await call(sent)
      } catch (e) {
        if (!(e instanceof GatewayError)) throw e
        const record: IdempotencyRecord = MAY_HAVE_APPLIED.has(e.code)
          ? {
              state: 'done',
              ...base,
              answer: { status: e.status, headers: [], body: new Uint8Array(0), error: e.code },
            }
          : // The upstream never had the request whole (refused, reset before the end).
            { state: 'released', ...base }
        await write(host, scope.digest, record, revision).catch((w: unknown) =>
          warn('idempotency-record-failed', { requestId, reason: String(w) }),
        )
        throw e
      }
      const answer: StoredAnswer =
        result.body.length > MAX_REPLAY_BODY_BYTES
          ? {
              status: result.status,
              headers: [],
              body: new Uint8Array(0),
              error: 'RESPONSE_TOO_LARGE',
            }
          : { status: result.status, headers: result.headers, body: result.body }
      // The answer goes to the client whether or not the record takes it: the upstream
      // applied the request. While the store is away (a bus electing a leader), the record
      // is written again in the background; retries meanwhile find it pending (409).
      const record: IdempotencyRecord = { state: 'done', ...base, answer }
      const done = await write(host, scope.digest, record, revision).catch((w: unknown) => {
        warn('idempotency-record-retry', { requestId, reason: String(w) })
        void completeLater(host, scope.digest, record, revision)
        return true as const
      })
      if (done === false) warn('idempotency-record-failed', { requestId, reason: 'slot moved' })
      return result
    },
  }
}

/**
 * The upstream call for `env`, through the guard when there is one. A keyed non-safe request
 * without a guard is refused (503): a key is never accepted and then not honoured.
 */
export function guardedCall(
  guard: IdempotencyGuard | undefined,
  env: RequestEnvelope,
  sent: UpstreamRequest,
  now: number,
  call: UpstreamCall,
): Promise<GuardedResult> {
  if (guard) return guard.call(env, sent, now, call)
  if (idempotencyScopeOf(env)) {
    return Promise.reject(unavailable('no idempotency store configured'))
  }
  return call(sent)
}
