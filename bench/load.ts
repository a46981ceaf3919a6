/**
 * One load loop for every target, so ratios compare like with like: a closed loop with a
 * fixed number of requests in flight, or an open loop at a fixed rate. Bounded in count and
 * time; latencies from the monotonic clock.
 */
import { Agent, request } from 'node:http'

export interface LoadResult {
  requests: number
  errors: number
  seconds: number
  rps: number
  p50Ms: number
  p99Ms: number
}

export type Send = () => Promise<boolean>

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

function summarize(latencies: number[], errors: number, seconds: number): LoadResult {
  latencies.sort((a, b) => a - b)
  const round = (n: number) => Math.round(n * 1000) / 1000
  return {
    requests: latencies.length,
    errors,
    seconds: round(seconds),
    rps: Math.round(latencies.length / seconds),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
  }
}

/** `concurrency` requests in flight for `seconds` (at most `maxRequests`). */
export async function closedLoop(
  send: Send,
  concurrency: number,
  seconds: number,
  maxRequests = 2_000_000,
): Promise<LoadResult> {
  const latencies: number[] = []
  let errors = 0
  let issued = 0
  const started = performance.now()
  const end = started + seconds * 1000
  const worker = async () => {
    while (performance.now() < end && issued < maxRequests) {
      issued++
      const t0 = performance.now()
      const ok = await send().catch(() => false)
      if (ok) latencies.push(performance.now() - t0)
      else errors++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return summarize(latencies, errors, (performance.now() - started) / 1000)
}

/** Requests started at a steady `rate` per second for `seconds`, whatever the answers do. */
export async function openLoop(send: Send, rate: number, seconds: number): Promise<LoadResult> {
  const latencies: number[] = []
  let errors = 0
  const total = Math.round(rate * seconds)
  const started = performance.now()
  const pending: Promise<void>[] = []
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate
    const wait = due - performance.now()
    if (wait > 1) await new Promise((r) => setTimeout(r, wait))
    const t0 = performance.now()
    pending.push(
      send()
        .catch(() => false)
        .then((ok) => {
          if (ok) latencies.push(performance.now() - t0)
          else errors++
        }),
    )
  }
  await Promise.all(pending)
  return summarize(latencies, errors, (performance.now() - started) / 1000)
}

/**
 * A keep-alive HTTP GET sender; a request counts when the status is `expect`. `headers` may
 * be a function, called per request (a fresh token each time, say).
 */
export function httpGet(
  url: string,
  concurrency: number,
  headers: Record<string, string> | (() => Record<string, string>) = {},
  expect = 200,
): Send {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
  const target = new URL(url)
  return () =>
    new Promise<boolean>((resolve) => {
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname + target.search,
          agent,
          headers: typeof headers === 'function' ? headers() : headers,
        },
        (res) => {
          res.resume()
          res.on('end', () => resolve(res.statusCode === expect))
          res.on('error', () => resolve(false))
        },
      )
      req.setTimeout(10_000, () => req.destroy())
      req.on('error', () => resolve(false))
      req.end()
    })
}
