/** Scrapes a process's `/metrics` for tests (the parser is the console's). */
import { parseMetrics, type Sample } from '../../console/prometheus.js'

export { parseMetrics, sumOf, type Sample } from '../../console/prometheus.js'

export async function scrape(port: number, host = '127.0.0.1'): Promise<Sample[]> {
  const res = await fetch(`http://${host}:${port}/metrics`, { signal: AbortSignal.timeout(5_000) })
  if (res.status !== 200) throw new Error(`GET /metrics on ${port}: ${res.status}`)
  return parseMetrics(await res.text(), true)
}
