/**
 * What an answer under a fault may be, and how long a fault's trouble lasted.
 *
 * An answer is `normal` (GET 200, POST 201), `retriable` (503 or 504 with a code the error
 * table gives `Retry-After`, which the edge sends with the problem), `unknown`
 * (only a POST: 502 WRITE_OUTCOME_UNKNOWN, the upstream may have applied it) or `failed`
 * (anything else: a request the fault broke).
 */
import { ERROR_TABLE, retryAfterOf, type ErrorCode } from '../../core/index.js'
import type { Outcome } from './link-load.js'

/** Largest of many numbers (a spread of 100,000 overflows the stack). */
function maxOf(values: number[], empty = 0): number {
  let m = -Infinity
  for (const v of values) if (v > m) m = v
  return values.length ? m : empty
}

function minOf(values: number[], empty = 0): number {
  let m = Infinity
  for (const v of values) if (v < m) m = v
  return values.length ? m : empty
}

export type Verdict = 'normal' | 'retriable' | 'unknown' | 'failed'

/** A documented retriable refusal: 503 or 504 whose problem carries `Retry-After`. */
export function isRetriable(code: ErrorCode): boolean {
  const status = ERROR_TABLE[code].status
  return (status === 503 || status === 504) && retryAfterOf(code) !== undefined
}

export function verdictOf(o: Outcome): Verdict {
  if (!o.code && o.status === (o.kind === 'post' ? 201 : 200)) return 'normal'
  if (o.code && isRetriable(o.code)) return 'retriable'
  if (o.kind === 'post' && o.code === 'WRITE_OUTCOME_UNKNOWN') return 'unknown'
  return 'failed'
}

export interface Fault {
  name: string
  /** When the fault was made, ms on the load's clock. */
  atMs: number
  /** When the process was back and ready. */
  recoveredMs?: number
}

export interface FaultReport {
  name: string
  requests: number
  normal: number
  retriable: number
  unknown: number
  failed: number
  /** First to last non-normal answer among requests started in the fault's period, ms. */
  windowMs: number
  /** Time from the kill until the process was ready again, ms. */
  recoveryMs?: number
  /** Slowest answer started in the period, ms. */
  maxLatencyMs: number
  codes: Record<string, number>
}

/** Each fault's period runs from its kill to the next fault's (the last one's to the end). */
export function reportFaults(outcomes: Outcome[], faults: Fault[]): FaultReport[] {
  return faults.map((f, i) => {
    const end = faults[i + 1]?.atMs ?? Infinity
    const mine = outcomes.filter((o) => o.startMs >= f.atMs && o.startMs < end)
    const bad = mine.filter((o) => verdictOf(o) !== 'normal')
    const count = (v: Verdict) => mine.filter((o) => verdictOf(o) === v).length
    const codes: Record<string, number> = {}
    for (const o of bad)
      codes[o.code ?? String(o.status)] = (codes[o.code ?? String(o.status)] ?? 0) + 1
    const window = bad.length
      ? maxOf(bad.map((o) => o.endMs)) - minOf(bad.map((o) => o.startMs))
      : 0
    return {
      name: f.name,
      requests: mine.length,
      normal: count('normal'),
      retriable: count('retriable'),
      unknown: count('unknown'),
      failed: count('failed'),
      windowMs: Math.round(window),
      ...(f.recoveredMs === undefined ? {} : { recoveryMs: Math.round(f.recoveredMs - f.atMs) }),
      maxLatencyMs: Math.round(maxOf(mine.map((o) => o.endMs - o.startMs))),
      codes,
    }
  })
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

export interface LoadSummary {
  requests: number
  normal: number
  retriable: number
  unknown: number
  failed: number
  /** Requests started per second. */
  rps: number
  p50Ms: number
  p99Ms: number
}

export function summarize(outcomes: Outcome[]): LoadSummary {
  const latencies = outcomes.map((o) => o.endMs - o.startMs)
  // The rate offered: requests over the time they were started in (answers may trail).
  const starts = outcomes.map((o) => o.startMs)
  const span = outcomes.length > 1 ? maxOf(starts) - minOf(starts) : 0
  const count = (v: Verdict) => outcomes.filter((o) => verdictOf(o) === v).length
  const round = (n: number) => Math.round(n * 10) / 10
  return {
    requests: outcomes.length,
    normal: count('normal'),
    retriable: count('retriable'),
    unknown: count('unknown'),
    failed: count('failed'),
    rps: span ? Math.round((outcomes.length * 1000) / span) : 0,
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
  }
}

export function formatFaults(reports: FaultReport[]): string {
  return reports
    .map(
      (r) =>
        `${r.name.padEnd(24)} requests ${String(r.requests).padStart(5)}  normal ${String(r.normal).padStart(5)}  ` +
        `retriable ${r.retriable}  unknown ${r.unknown}  failed ${r.failed}  window ${r.windowMs} ms` +
        `${r.recoveryMs === undefined ? '' : `  back in ${r.recoveryMs} ms`}  slowest ${r.maxLatencyMs} ms` +
        (Object.keys(r.codes).length ? `  ${JSON.stringify(r.codes)}` : ''),
    )
    .join('\n')
}
