/**
 * Scrapes every running process that serves metrics (their ports from the stack's process
 * table) every `SCRAPE_MS`, keeps the last ones for the window, and the total rate over time
 * for the chart.
 */
import { readState, type StackState } from '../cli/state.js'
import { parseMetrics } from './prometheus.js'
import { summarize, type Scrape, type Summary } from './summary.js'

export const SCRAPE_MS = 2_000
/** Scrapes the rates and quantiles are computed over (about 30 s). */
const WINDOW = 16
/** Points of the request-rate chart (2 minutes). */
const HISTORY = 60
const SCRAPE_TIMEOUT_MS = 1_500

export interface Collector {
  summary(): Summary | undefined
  history(): Array<{ at: number; rps: number }>
  processes(): StackState['processes']
  stop(): void
}

export function startCollector(stateFile: string, host: string): Collector {
  const scrapes: Scrape[] = []
  const history: Array<{ at: number; rps: number }> = []
  let state: StackState | undefined
  let current: Summary | undefined
  let busy = false

  const once = async () => {
    if (busy) return
    busy = true
    try {
      state = readState(stateFile)
      const running = (state?.processes ?? []).filter(
        (p) => p.state === 'running' && p.metricsPort !== undefined,
      )
      const processes = await Promise.all(
        running.map(async (p) => {
          try {
            const res = await fetch(`http://${host}:${p.metricsPort}/metrics`, {
              signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS),
            })
            return { name: p.name, component: p.component, samples: parseMetrics(await res.text()) }
          } catch {
            return { name: p.name, component: p.component, samples: [] }
          }
        }),
      )
      scrapes.push({ at: Date.now(), processes })
      if (scrapes.length > WINDOW) scrapes.shift()
      // The rate between the last two scrapes for the chart; the window's for the table.
      const last = scrapes.at(-1)!
      const step = summarize(scrapes.at(-2), last)
      history.push({ at: last.at, rps: step.rps })
      if (history.length > HISTORY) history.shift()
      current = summarize(scrapes.length > 1 ? scrapes[0] : undefined, last)
    } catch {
      // A process table being rewritten, say: the next scrape reads it again.
    } finally {
      busy = false
    }
  }
  void once()
  const timer = setInterval(() => void once(), SCRAPE_MS)
  timer.unref()
  return {
    summary: () => current,
    history: () => history,
    processes: () => state?.processes ?? [],
    stop: () => clearInterval(timer),
  }
}
