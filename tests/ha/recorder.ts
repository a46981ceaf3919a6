/**
 * A steady open-loop load that records every request's outcome and time: requests start on
 * schedule whatever the answers do, so a stalled stage shows as late answers, not as fewer
 * questions. Every `postEvery`-th request is a POST.
 */
import type { LinkLoadClient, Outcome } from './link-load.js'

export interface Recorder {
  outcomes: Outcome[]
  /** Milliseconds since the load started (the clock `Outcome` times use). */
  now(): number
  /** Requests started and not yet answered. */
  inFlight(): number
  /** The index the next request would get. */
  nextIndex(): number
  /** Stops starting requests and waits for every answer. */
  stop(): Promise<Outcome[]>
}

export interface RecorderOptions {
  rate: number
  postEvery: number
  /** The first request's index: several loads on one upstream never reuse an item. */
  firstIndex?: number
}

export function startRecorder(client: LinkLoadClient, options: RecorderOptions): Recorder {
  const outcomes: Outcome[] = []
  const pending = new Set<Promise<void>>()
  const t0 = performance.now()
  const now = () => performance.now() - t0
  let stopped = false
  const first = options.firstIndex ?? 0
  let index = first
  const loop = (async () => {
    while (!stopped) {
      const due = ((index - first) * 1000) / options.rate
      const wait = due - now()
      if (wait > 1) await new Promise((r) => setTimeout(r, wait))
      if (stopped) break
      const i = index++
      const kind = i % options.postEvery === options.postEvery - 1 ? 'post' : 'get'
      const startMs = now()
      const p: Promise<void> = client.send(kind, i).then((o) => {
        outcomes.push({ ...o, index: i, startMs, endMs: now() })
        pending.delete(p)
      })
      pending.add(p)
    }
  })()
  return {
    outcomes,
    now,
    inFlight: () => pending.size,
    nextIndex: () => index,
    async stop() {
      stopped = true
      await loop
      await Promise.all([...pending])
      outcomes.sort((a, b) => a.index - b.index)
      return outcomes
    },
  }
}
