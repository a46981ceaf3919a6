/**
 * What the console shows, computed from scrapes of the processes' metrics: requests per
 * second and p50/p99 per route over the last window (the difference of two scrapes of the
 * relays' counters and histogram buckets), refusals by code since start, and each stage's
 * backlog. Pure: the collector hands in the scrapes.
 */
import type { Sample } from './prometheus.js'

/** One scrape of every process that serves metrics: its name and component, its samples. */
export interface Scrape {
  at: number
  processes: Array<{ name: string; component: string; samples: Sample[] }>
}

export interface RouteStats {
  host: string
  route: string
  /** Answers per second over the window. */
  rps: number
  /** Answers in the window, and since start. */
  window: number
  total: number
  /** Seconds, from the histogram buckets of the window (undefined: no answer in it). */
  p50?: number
  p99?: number
}

export interface StageStats {
  stage: string
  processes: number
  pending: number
  ackPending: number
  messages: number
}

export interface Summary {
  windowSeconds: number
  routes: RouteStats[]
  /** Requests per second over the window, all routes. */
  rps: number
  refusals: Array<{ code: string; stage: string; count: number }>
  stages: StageStats[]
  edge: Array<{ verdict: string; code: string; count: number }>
  audit: { written: number; head: number }
}

const REQUESTS = 'portcullis_http_requests_total'
const BUCKET = 'http_server_request_duration_seconds_bucket'

function all(scrape: Scrape | undefined, component?: string): Sample[] {
  if (!scrape) return []
  return scrape.processes
    .filter((p) => component === undefined || p.component === component)
    .flatMap((p) => p.samples)
}

const key = (l: Record<string, string>, names: string[]) =>
  names.map((n) => l[n] ?? '').join('\u0000')

function totals(samples: Sample[], name: string, by: string[]): Map<string, number> {
  const out = new Map<string, number>()
  for (const s of samples) {
    if (s.name !== name) continue
    const k = key(s.labels, by)
    out.set(k, (out.get(k) ?? 0) + s.value)
  }
  return out
}

/** A quantile from cumulative bucket counts (`le` -> count), linear within the bucket. */
export function quantile(buckets: Map<number, number>, q: number): number | undefined {
  const bounds = [...buckets.keys()].sort((a, b) => a - b)
  const count = buckets.get(Infinity) ?? (bounds.length ? buckets.get(bounds.at(-1)!)! : 0)
  if (!count || count <= 0) return undefined
  const rank = q * count
  let lower = 0
  let below = 0
  for (const le of bounds) {
    const c = buckets.get(le)!
    if (c >= rank) {
      if (le === Infinity) return lower
      const inBucket = c - below
      return inBucket > 0 ? lower + ((le - lower) * (rank - below)) / inBucket : le
    }
    lower = le
    below = c
  }
  return lower
}

export function summarize(first: Scrape | undefined, last: Scrape): Summary {
  const seconds = first ? Math.max(0.001, (last.at - first.at) / 1000) : 0
  const now = all(last, 'relay')
  const before = all(first, 'relay')
  const byRoute = ['host', 'route']
  const nowTotals = totals(now, REQUESTS, byRoute)
  const beforeTotals = totals(before, REQUESTS, byRoute)
  const nowBuckets = totals(now, BUCKET, [...byRoute, 'le'])
  const beforeBuckets = totals(before, BUCKET, [...byRoute, 'le'])
  const routes: RouteStats[] = []
  for (const [k, total] of nowTotals) {
    const [host, route] = k.split('\u0000') as [string, string]
    const window = first ? total - (beforeTotals.get(k) ?? 0) : 0
    const buckets = new Map<number, number>()
    for (const [bk, c] of nowBuckets) {
      const [h, r, le] = bk.split('\u0000') as [string, string, string]
      if (h !== host || r !== route) continue
      const bound = le === '+Inf' ? Infinity : Number(le)
      buckets.set(bound, c - (beforeBuckets.get(bk) ?? 0))
    }
    const p50 = window > 0 ? quantile(buckets, 0.5) : undefined
    const p99 = window > 0 ? quantile(buckets, 0.99) : undefined
    routes.push({
      host,
      route,
      rps: seconds ? window / seconds : 0,
      window,
      total,
      ...(p50 !== undefined && { p50 }),
      ...(p99 !== undefined && { p99 }),
    })
  }
  routes.sort((a, b) => b.total - a.total || a.route.localeCompare(b.route))

  const everything = all(last)
  const refusals = [...totals(everything, 'portcullis_refusals_total', ['code', 'stage'])]
    .map(([k, count]) => {
      const [code, stage] = k.split('\u0000') as [string, string]
      return { code, stage, count }
    })
    .filter((r) => r.count > 0)
    .sort((a, b) => b.count - a.count)

  const stages = new Map<string, StageStats>()
  for (const p of last.processes) {
    // A stage is a process the stage runner records for (not the demo upstream or this console).
    if (!p.samples.some((x) => x.name.startsWith('portcullis_stage_'))) continue
    const stage = p.component
    const s = stages.get(stage) ?? { stage, processes: 0, pending: 0, ackPending: 0, messages: 0 }
    s.processes++
    for (const x of p.samples) {
      // The consumer's figures are the same from every replica: the largest, not the sum.
      if (x.name === 'portcullis_consumer_pending_messages')
        s.pending = Math.max(s.pending, x.value)
      if (x.name === 'portcullis_consumer_ack_pending_messages')
        s.ackPending = Math.max(s.ackPending, x.value)
      if (x.name === 'portcullis_stage_messages_total') s.messages += x.value
    }
    stages.set(stage, s)
  }

  const edge = [...totals(everything, 'portcullis_edge_requests_total', ['verdict', 'code'])].map(
    ([k, count]) => {
      const [verdict, code] = k.split('\u0000') as [string, string]
      return { verdict, code, count }
    },
  )
  let written = 0
  let head = 0
  for (const s of everything) {
    if (s.name === 'portcullis_audit_events_written_total') written += s.value
    if (s.name === 'portcullis_audit_chain_head_seq') head = Math.max(head, s.value)
  }
  return {
    windowSeconds: seconds,
    routes,
    rps: routes.reduce((a, r) => a + r.rps, 0),
    refusals,
    stages: [...stages.values()],
    edge,
    audit: { written, head },
  }
}
