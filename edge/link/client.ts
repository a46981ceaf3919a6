/**
 * The worker's side of the link: the pool's shards are the objects `link-<location>-0` ..
 * `link-<location>-<n-1>` of the edge location the isolate runs in. A request goes to the
 * shard its request id hashes to (a stable, even spread: ids are random), or, while that
 * shard's link is known to be down, to the next shard whose link is not. A request the
 * shard's object could not send (its link down: it never left the object) is tried on the
 * next shard (3 shards at once at most), and when every link is down, again every
 * UNSENT_RETRY_PAUSE_MS, within the first half of its deadline (3 s at most): a restart costs
 * latency, not answers. Any other failure is the request's answer: a request that was sent
 * is never sent again.
 * Outcomes turn back into a response or a GatewayError.
 */
import {
  failureReason,
  GatewayError,
  type RequestEnvelope,
  type ResponseEnvelope,
} from '../../core/index.js'
import type { EdgeAuditEvent } from '../ingress/audit-trail.js'
import type { Link } from '../ingress/types.js'
import {
  LINK_DOWN_SKIP_MS,
  MAX_SHARD_ATTEMPTS,
  POOL_NAME_PREFIX,
  RPC_GRACE_MS,
  UNSENT_RETRY_PAUSE_MS,
  UNSENT_RETRY_WINDOW_MS,
} from './constants.js'
import { unwrap, type LinkOutcome } from './outcome.js'

/** The part of a pool object's stub the client uses. */
export interface PoolObject {
  send(request: RequestEnvelope, timeoutMs: number): Promise<LinkOutcome>
  audit(events: EdgeAuditEvent[]): Promise<void>
}

export interface PoolNamespace {
  idFromName(name: string): DurableObjectId
  get(id: DurableObjectId): PoolObject
}

export interface PoolOptions {
  /** Shards (pool objects) per edge location. */
  size: number
  /** The edge location (Cloudflare's colo code) the isolate serves; `local` under wrangler dev. */
  location: string
  now?: () => number
}

/** The name of shard `index` of `location`. */
export function shardName(location: string, index: number): string {
  return `${POOL_NAME_PREFIX}${location}-${index}`
}

/** The home shard of a request id: FNV-1a of the id, modulo the shard count. */
export function shardOf(requestId: string, size: number): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < requestId.length; i++) {
    hash ^= requestId.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0) % size
}

/** The pool's shards as one isolate sees them: their ids, and which links are down. */
export class Shards {
  readonly #namespace: PoolNamespace
  readonly #ids: DurableObjectId[]
  readonly #names: string[]
  /** Until when each shard is skipped (epoch ms); 0 while its link is not known to be down. */
  readonly #downUntil: Float64Array
  readonly #now: () => number

  constructor(namespace: PoolNamespace, options: PoolOptions) {
    this.#namespace = namespace
    this.#names = Array.from({ length: options.size }, (_, i) => shardName(options.location, i))
    // An id is a hash of the name: computed once per isolate, not per request.
    this.#ids = this.#names.map((name) => namespace.idFromName(name))
    this.#downUntil = new Float64Array(options.size)
    this.#now = options.now ?? Date.now
  }

  get size(): number {
    return this.#names.length
  }

  name(index: number): string {
    return this.#names[index]!
  }

  object(index: number): PoolObject {
    return this.#namespace.get(this.#ids[index]!)
  }

  /** `home`, or the next shard after it whose link is not known to be down (home if none). */
  pick(home: number, skipping?: number): number {
    const at = this.#now()
    for (let step = 0; step < this.size; step++) {
      const index = (home + step) % this.size
      if (index !== skipping && this.#downUntil[index]! <= at) return index
    }
    return home
  }

  markDown(index: number): void {
    this.#downUntil[index] = this.#now() + LINK_DOWN_SKIP_MS
  }

  markUp(index: number): void {
    this.#downUntil[index] = 0
  }
}

/** One attempt on one shard: its outcome, or a failure of the RPC itself as a code. */
async function attempt(
  shards: Shards,
  index: number,
  request: RequestEnvelope,
  timeoutMs: number,
): Promise<LinkOutcome> {
  const name = shards.name(index)
  let timer: ReturnType<typeof setTimeout> | null = null
  const expiry = new Promise<LinkOutcome>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, code: 'GATEWAY_TIMEOUT', reason: `${name} did not answer` }),
      timeoutMs + RPC_GRACE_MS,
    )
  })
  try {
    return await Promise.race([shards.object(index).send(request, timeoutMs), expiry]).catch(
      // The object was reset or overloaded: whether the request left it is unknown.
      (e: unknown): LinkOutcome => ({
        ok: false,
        code: 'BUS_UNAVAILABLE',
        reason: `${name}: ${failureReason(e)}`,
      }),
    )
  } finally {
    if (timer !== null) clearTimeout(timer)
  }
}

export function poolLink(shards: Shards, now: () => number = Date.now): Link {
  return {
    async send(request: RequestEnvelope, timeoutMs: number): Promise<ResponseEnvelope> {
      // Tries of a request not sent yet end here: the first half of its deadline, at most
      // UNSENT_RETRY_WINDOW_MS, so a slow failure leaves the answer (503) for the client.
      const retryUntil = now() + Math.min(timeoutMs / 2, UNSENT_RETRY_WINDOW_MS)
      const deadline = now() + timeoutMs
      const home = shardOf(request.requestId, shards.size)
      let index = shards.pick(home)
      let outcome = await attempt(shards, index, request, timeoutMs)
      let tried = 1
      while (!outcome.ok && outcome.unsent) {
        shards.markDown(index)
        if (now() > retryUntil) break
        const next = shards.pick(index, index)
        if (next !== index && tried < MAX_SHARD_ATTEMPTS) {
          index = next
        } else {
          // Every link this isolate can reach is down: a node restarting is back in well
          // under a second, so wait a moment and try the home shard again.
          if (now() + UNSENT_RETRY_PAUSE_MS > retryUntil) break
          await new Promise((r) => setTimeout(r, UNSENT_RETRY_PAUSE_MS))
          index = home
        }
        tried++
        outcome = await attempt(shards, index, request, deadline - now())
      }
      if (!outcome.ok && outcome.unsent) {
        shards.markDown(index)
        throw new GatewayError(outcome.code, { reason: `${shards.name(index)}: ${outcome.reason}` })
      }
      shards.markUp(index)
      return unwrap(outcome)
    },
  }
}

/** Audit events wait at most this long in the isolate for others to share their RPC. */
export const AUDIT_BATCH_MS = 20
/** A batch this full leaves at once. */
export const AUDIT_BATCH_MAX = 64

/**
 * The edge's audit events, batched per isolate: the first event of a batch waits
 * `AUDIT_BATCH_MS` for others (or until `AUDIT_BATCH_MAX` are queued), then the batch goes to
 * one pool object in a single RPC, so an event costs a fraction of a call instead of one.
 * Every event's promise settles with its batch (the request's `waitUntil` holds it so long).
 */
export function poolAudit(shards: Shards) {
  let queued: EdgeAuditEvent[] = []
  let flushed: Promise<void> | undefined
  let release: (() => void) | undefined
  let next = Math.floor(Math.random() * shards.size)
  const flush = () => {
    const events = queued
    const done = release!
    queued = []
    flushed = undefined
    release = undefined
    const index = shards.pick(next)
    next = (index + 1) % shards.size
    shards
      .object(index)
      .audit(events)
      .catch((e: unknown) => {
        console.warn(
          JSON.stringify({
            event: 'audit-failed',
            events: events.length,
            reason: failureReason(e),
          }),
        )
      })
      .finally(done)
  }
  return (event: EdgeAuditEvent): Promise<void> => {
    queued.push(event)
    if (!flushed) {
      flushed = new Promise<void>((resolve) => {
        release = resolve
      })
      const batch = flushed
      setTimeout(() => {
        if (flushed === batch) flush()
      }, AUDIT_BATCH_MS)
    }
    const batch = flushed
    if (queued.length >= AUDIT_BATCH_MAX) flush()
    return batch
  }
}
