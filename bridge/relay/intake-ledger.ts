/**
 * The link requests this relay process took in and recorded its `request` event for. A link
 * request is a core message nothing hands back: a relay killed between forwarding it and
 * publishing its batch of audit events takes that event with it. Whichever relay answers the
 * request records the event again (same id: the sink keeps the first) unless this process is
 * the one holding it, which is the common case with one replica and half of them with two.
 */
/** Entries past their request's deadline by this much are forgotten: the answer is not coming here. */
export const LEDGER_GRACE_MS = 10_000
/** Bound on what the ledger holds; forgetting an entry only costs a duplicate event. */
export const LEDGER_MAX_ENTRIES = 50_000

export class IntakeLedger {
  /** Request id -> when to forget it; in insertion order, which is nearly deadline order. */
  readonly #held = new Map<string, number>()

  /** This process recorded the intake of `requestId`. */
  hold(requestId: string, deadline: number, now: number): void {
    this.#forgetExpired(now)
    if (this.#held.size >= LEDGER_MAX_ENTRIES) {
      const oldest = this.#held.keys().next().value
      if (oldest !== undefined) this.#held.delete(oldest)
    }
    this.#held.set(requestId, deadline + LEDGER_GRACE_MS)
  }

  /** Whether this process holds the intake event of `requestId`; forgets it either way. */
  release(requestId: string): boolean {
    return this.#held.delete(requestId)
  }

  get size(): number {
    return this.#held.size
  }

  #forgetExpired(now: number): void {
    for (const [id, until] of this.#held) {
      if (until > now) return
      this.#held.delete(id)
    }
  }
}
