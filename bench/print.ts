/**
 * The printed side of a benchmark run: one table of every target, the CPU each process spent
 * per request below it, the edge worker's own CPU, the one-at-a-time rows and the goals.
 */
import type { LoadResult } from './load.js'
import type { GoalVerdict } from './goals.js'

export interface TargetResult {
  target: string
  saturated: LoadResult
  atRate: LoadResult
  ratioToDirect: number
  addedP50AtRateMs: number
  addedP99AtRateMs: number
  /** CPU of the target's processes per completed request over both loops, load generator excluded. */
  cpuMicrosPerRequest: number
  cpu: {
    /** The processes counted for this target, µs per request each. */
    perProcess: Record<string, number>
    /** The same total over the closed loop alone and over the open loop alone. */
    saturatedMicrosPerRequest: number
    atRateMicrosPerRequest: number
    /** The edge's parts (workerd running the workers, wrangler's proxy workerd, wrangler). */
    edge?: Record<string, number>
  }
  /** workerd running the workers, µs per request: the edge worker's CPU. */
  edgeWorkerMicrosPerRequest?: number
}

export interface OneAtATime {
  target: string
  result: LoadResult
  addedP50Ms: number
  addedP99Ms: number
}

type Log = (line: string) => void

const fmt = (n: number | null | undefined, digits = 3) =>
  n === null || n === undefined || !Number.isFinite(n)
    ? '-'
    : Number.isInteger(n)
      ? String(n)
      : n.toFixed(digits)

function row(cells: Array<string | number>, first = 24): string {
  return cells.map((c, i) => (i === 0 ? String(c).padEnd(first) : String(c).padStart(10))).join(' ')
}

export function printTargets(results: TargetResult[], rate: number, log: Log): void {
  log('')
  log(
    row([
      'target',
      'req/s',
      'p50 ms',
      'p99 ms',
      'x direct',
      `p50@${rate}/s`,
      '+p50 ms',
      '+p99 ms',
      'CPU µs/req',
      'errors',
    ]),
  )
  for (const r of results)
    log(
      row([
        r.target,
        r.saturated.rps,
        fmt(r.saturated.p50Ms),
        fmt(r.saturated.p99Ms),
        r.ratioToDirect.toFixed(3),
        fmt(r.atRate.p50Ms),
        fmt(r.addedP50AtRateMs),
        fmt(r.addedP99AtRateMs),
        fmt(r.cpuMicrosPerRequest),
        r.saturated.errors + r.atRate.errors,
      ]),
    )
  log('')
  log('CPU per completed request by process (µs; closed + open loop; load generator excluded):')
  for (const r of results) {
    const parts = Object.entries(r.cpu.perProcess).map(([name, us]) => `${name} ${us}`)
    const head = `  ${r.target.padEnd(24)} ${r.cpuMicrosPerRequest} = `
    let line = head
    for (const [i, part] of parts.entries()) {
      const piece = (i ? ' + ' : '') + part
      if (line.length + piece.length > 110) {
        log(line)
        line = ' '.repeat(head.length - 2) + piece
      } else line += piece
    }
    log(line)
    log(
      `  ${''.padEnd(24)} closed loop ${r.cpu.saturatedMicrosPerRequest}, open loop ${r.cpu.atRateMicrosPerRequest}` +
        (r.cpu.edge
          ? `; edge: ${Object.entries(r.cpu.edge)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')}`
          : ''),
    )
  }
  const edgeRows = results.filter((r) => r.edgeWorkerMicrosPerRequest !== undefined)
  if (edgeRows.length) {
    log('')
    log('edge worker CPU per request (the workerd that runs the workers, /proc accounting):')
    for (const r of edgeRows)
      log(`  ${r.target.padEnd(24)} ${fmt(r.edgeWorkerMicrosPerRequest)} µs`)
  }
}

export function printOneAtATime(rows: OneAtATime[], log: Log): void {
  if (!rows.length) return
  log('')
  log(row(['one request at a time', 'requests', 'p50 ms', 'p99 ms', '+p50 ms', '+p99 ms']))
  for (const r of rows)
    log(
      row([
        r.target,
        r.result.requests,
        fmt(r.result.p50Ms),
        fmt(r.result.p99Ms),
        fmt(r.addedP50Ms),
        fmt(r.addedP99Ms),
      ]),
    )
}

export function printGoals(goals: GoalVerdict[], log: Log): void {
  log('')
  log('goals:')
  for (const g of goals) {
    const sign = g.unit === '× haproxy' ? '≥' : '≤'
    log(
      `  ${`${g.target}: ${g.goal}`.padEnd(64)} ${`${fmt(g.value)} ${g.unit}`.padStart(18)}` +
        `   ${`goal ${sign} ${g.limit} ${g.unit}`.padEnd(22)} ${g.verdict}`,
    )
  }
}

export function printSkipped(skipped: Array<{ row: string; reason: string }>, log: Log): void {
  for (const s of skipped) log(`skipped ${s.row}: ${s.reason.split('\n')[0]}`)
}
