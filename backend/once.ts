/**
 * What keeps a redelivered request from calling the upstream twice inside one connector.
 *
 * - While a request id's answer is being produced or waits to be published, a second
 *   delivery of it gets the same answer instead of a second upstream call (a failed dresp
 *   publish is retried this way).
 * - Once its answer was acknowledged by dresp, the id is remembered as delivered for the
 *   bus's duplicate window, and a late redelivery (a lost ack) is acked without a call.
 *
 * The window it cannot close: the process dies after the upstream answered and before
 * dresp acknowledged. The redelivery (to this connector restarted, or to a replica) calls
 * again with the same `Idempotency-Key`, so an upstream that honours it answers from its
 * own record, and dresp stores the answer once (same message id).
 */
export interface OnceOptions {
  /** How long a delivered id is remembered: the duplicate window of the buses. */
  ttlMs: number
  /** Answers kept waiting for a publish; the oldest is forgotten beyond this. */
  maxPending: number
  /** Delivered ids remembered; the oldest is forgotten beyond this. */
  maxDelivered: number
}

interface Pending<T> {
  value: Promise<T>
  expires: number
}

export class OnceMemory<T> {
  private readonly pending = new Map<string, Pending<T>>()
  private readonly delivered = new Map<string, number>()

  constructor(private readonly options: OnceOptions) {}

  isDelivered(id: string, now: number): boolean {
    const expires = this.delivered.get(id)
    return expires !== undefined && expires > now
  }

  /** Runs `produce` for `id` unless an answer for it is already kept; `reused` says which. */
  async run(
    id: string,
    now: number,
    produce: () => Promise<T>,
  ): Promise<{ value: T; reused: boolean }> {
    const kept = this.pending.get(id)
    if (kept && kept.expires > now) return { value: await kept.value, reused: true }
    const value = produce()
    this.pending.delete(id)
    this.pending.set(id, { value, expires: now + this.options.ttlMs })
    prune(this.pending, now, this.options.maxPending, (p) => p.expires)
    try {
      return { value: await value, reused: false }
    } catch (e) {
      // Only answers are kept; a failure to produce one may be retried.
      if (this.pending.get(id)?.value === value) this.pending.delete(id)
      throw e
    }
  }

  /** The answer for `id` is safe downstream. */
  markDelivered(id: string, now: number): void {
    this.pending.delete(id)
    this.delivered.delete(id)
    this.delivered.set(id, now + this.options.ttlMs)
    prune(this.delivered, now, this.options.maxDelivered, (e) => e)
  }

  get size(): { pending: number; delivered: number } {
    return { pending: this.pending.size, delivered: this.delivered.size }
  }
}

/** Maps keep insertion order and every entry has the same lifetime: the oldest are first. */
function prune<V>(
  map: Map<string, V>,
  now: number,
  max: number,
  expiresOf: (v: V) => number,
): void {
  for (const [key, v] of map) {
    if (map.size <= max && expiresOf(v) > now) break
    map.delete(key)
  }
}
