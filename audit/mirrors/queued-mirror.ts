/**
 * What every mirror shares: the bounded queue `send` drops into, the counters, the backoff
 * between failed attempts, `flush` and `close`. A mirror adds `pump` (move what it can from
 * the queue to its transport), `inFlight` and `stop`.
 */
import { Backoff } from './backoff.js'
import { FLUSH_POLL_MS } from './constants.js'
import { isMirrorRecord } from './record.js'
import { BoundedQueue } from './queue.js'
import type { AuditMirror, MirrorName, MirrorRecord, MirrorStats, ResolvedTuning } from './types.js'

export abstract class QueuedMirror implements AuditMirror {
  abstract readonly name: MirrorName
  protected readonly queue: BoundedQueue<MirrorRecord>
  protected readonly backoff: Backoff
  protected closed = false
  private readonly counts = { sent: 0, dropped: 0, failed: 0 }
  private pumpScheduled = false
  private retryTimer: NodeJS.Timeout | undefined
  /** In an outage: only its first error is reported. */
  private failing = false

  constructor(
    queueSize: number,
    protected readonly tuning: ResolvedTuning,
  ) {
    this.queue = new BoundedQueue(queueSize)
    this.backoff = new Backoff(tuning.backoff.initialMs, tuning.backoff.maxMs)
  }

  /** Moves what it can from the queue to the transport; called whenever that may be possible. */
  protected abstract pump(): void
  /** Records taken from the queue whose delivery is not settled yet. */
  protected abstract inFlight(): number
  /** Closes the transport. */
  protected abstract stop(): Promise<void>

  send(record: MirrorRecord): void {
    try {
      if (this.closed || !isMirrorRecord(record)) {
        this.counts.dropped++
        return
      }
      // The bound holds what is queued and what is on its way together.
      if (this.queue.length + this.inFlight() >= this.queue.capacity) {
        this.counts.dropped++
        // The oldest goes; when every held record is already on its way, the new one does.
        if (this.queue.shift() === undefined) return
      }
      this.queue.push(record)
      this.schedulePump()
    } catch {
      this.counts.dropped++
    }
  }

  stats(): MirrorStats {
    return { ...this.counts, queued: this.queue.length + this.inFlight() }
  }

  async flush(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + Math.max(0, timeoutMs)
    while (this.stats().queued > 0) {
      const left = deadline - Date.now()
      if (this.closed || left <= 0) return false
      await new Promise((r) => setTimeout(r, Math.min(FLUSH_POLL_MS, left)))
    }
    return true
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearTimeout(this.retryTimer)
    this.retryTimer = undefined
    this.counts.dropped += this.queue.clear()
    await this.stop()
  }

  /** Runs `pump` soon, once however many sends ask for it, and not while backing off. */
  protected schedulePump(): void {
    if (this.pumpScheduled || this.closed) return
    this.pumpScheduled = true
    setImmediate(() => {
      this.pumpScheduled = false
      if (this.closed || this.retryTimer) return
      try {
        this.pump()
      } catch (e) {
        this.report(e)
      }
    })
  }

  protected delivered(count: number): void {
    this.counts.sent += count
    this.failing = false
    this.backoff.reset()
  }

  /** Records that can never go (unformattable, refused by the receiver, left at close). */
  protected lost(count: number, error?: unknown): void {
    this.counts.dropped += count
    if (error !== undefined) this.report(error)
  }

  /**
   * A failed attempt: the records go back to the front of the queue (the oldest, so they are
   * what a full queue pushes out) and nothing is tried before the backoff has passed.
   */
  protected retryLater(records: readonly MirrorRecord[], error: unknown): void {
    if (this.closed) {
      this.counts.dropped += records.length
      return
    }
    this.counts.failed += records.length
    this.counts.dropped += this.queue.unshiftAll(records)
    this.report(error)
    this.pauseForBackoff()
  }

  protected pauseForBackoff(): void {
    if (this.closed || this.retryTimer) return
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      this.schedulePump()
    }, this.backoff.delay())
    // The sink's own work keeps the process up; a retry alone must not.
    this.retryTimer.unref()
  }

  protected report(error: unknown): void {
    if (this.failing) return
    this.failing = true
    try {
      this.tuning.onError(this.name, error instanceof Error ? error : new Error(String(error)))
    } catch {
      // a failing reporter must not stop delivery
    }
  }
}
