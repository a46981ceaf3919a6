/**
 * Bounded exponential backoff: `initialMs`, doubled per failure up to `maxMs`, each wait
 * spread by ±20 % so that many senders do not retry in step.
 */
export class Backoff {
  private next: number

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {
    this.next = initialMs
  }

  /** The wait before the next try; each call doubles the one after, up to the bound. */
  delay(): number {
    const base = this.next
    this.next = Math.min(this.next * 2, this.maxMs)
    return Math.min(this.maxMs, Math.round(base * (0.8 + 0.4 * this.random())))
  }

  reset(): void {
    this.next = this.initialMs
  }
}
