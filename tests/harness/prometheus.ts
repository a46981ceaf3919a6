/**
 * Reads Prometheus text exposition (what `/metrics` serves) into samples, and sums them, for
 * tests that scrape the stack's processes.
 */
export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = []
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const m = LINE.exec(line)
    if (!m) throw new Error(`not a sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(LABEL)) {
      labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1')
    }
    out.push({ name: m[1]!, labels, value: Number(m[3]) })
  }
  return out
}

/** The sum of the samples named `name` whose labels include `match`. */
export function sumOf(samples: Sample[], name: string, match: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0)
}

export async function scrape(port: number, host = '127.0.0.1'): Promise<Sample[]> {
  const res = await fetch(`http://${host}:${port}/metrics`, { signal: AbortSignal.timeout(5_000) })
  if (res.status !== 200) throw new Error(`GET /metrics on ${port}: ${res.status}`)
  return parseMetrics(await res.text())
}
