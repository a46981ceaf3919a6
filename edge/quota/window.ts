/** A fixed-window count: what one `take` decides, given the stored window. Pure. */
export interface QuotaWindow {
  /** Start of the window in epoch milliseconds. */
  start: number
  count: number
}

export interface QuotaOutcome {
  allowed: boolean
  /** Requests left in the window after this one. */
  remaining: number
  /** Seconds until the window ends (at least 1). */
  resetSeconds: number
}

export function takeFromWindow(
  stored: QuotaWindow | undefined,
  limit: number,
  periodSeconds: number,
  nowMs: number,
): { outcome: QuotaOutcome; next?: QuotaWindow } {
  const periodMs = periodSeconds * 1000
  const start = Math.floor(nowMs / periodMs) * periodMs
  const count = stored && stored.start === start ? stored.count : 0
  const resetSeconds = Math.max(1, Math.ceil((start + periodMs - nowMs) / 1000))
  if (count >= limit) return { outcome: { allowed: false, remaining: 0, resetSeconds } }
  return {
    outcome: { allowed: true, remaining: limit - count - 1, resetSeconds },
    next: { start, count: count + 1 },
  }
}
