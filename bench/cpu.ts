/**
 * CPU time from the processes' own accounting (Linux `/proc/<pid>/stat`): user + system time
 * of a process and of every descendant it has (wrangler's workerd, say), plus the time of the
 * children it has already reaped. Sampled at the start and the end of a measuring window, so
 * the difference over the completed requests is the CPU each request cost. The load generator
 * (the bench process) is never a root, so it is never counted.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

export interface ProcStat {
  pid: number
  ppid: number
  /** The executable's name, as the kernel keeps it (15 characters at most). */
  comm: string
  /** utime + stime, in clock ticks. */
  ticks: number
  /** cutime + cstime: the children this process has waited for, in clock ticks. */
  childTicks: number
}

/** Parses one `/proc/<pid>/stat` line; `comm` may hold spaces and parentheses. */
export function parseStat(line: string): ProcStat {
  const open = line.indexOf('(')
  const close = line.lastIndexOf(')')
  if (open < 0 || close < open) throw new Error('unreachable: not a /proc/<pid>/stat line')
  // After the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
  // utime stime cutime cstime ...
  const f = line
    .slice(close + 2)
    .trim()
    .split(' ')
  const n = (i: number) => Number(f[i])
  return {
    pid: Number(line.slice(0, open).trim()),
    ppid: n(1),
    comm: line.slice(open + 1, close),
    ticks: n(11) + n(12),
    childTicks: n(13) + n(14),
  }
}

/** Every process's times, by pid (processes that end while being read are skipped). */
export function readProcTable(): Map<number, ProcStat> {
  const table = new Map<number, ProcStat>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = parseStat(readFileSync(`/proc/${entry}/stat`, 'utf8'))
      table.set(stat.pid, stat)
    } catch {
      // gone between readdir and read
    }
  }
  return table
}

let ticksPerSecond: number | undefined
/** USER_HZ: the unit of the times in /proc (100 on every Linux in practice). */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100
    } catch {
      ticksPerSecond = 100
    }
  }
  return ticksPerSecond
}

export interface ProcessCpu {
  pid: number
  /** Ticks of the process, its live descendants and the children it reaped. */
  ticks: number
  /** The same by executable and pid of each member (`workerd#1234`), for a forking component. */
  parts: Record<string, number>
}

/** One reading of every named process tree; `roots` maps a process name to its pid. */
export type CpuSample = Record<string, ProcessCpu>

export function sampleCpu(roots: Record<string, number>): CpuSample {
  const table = readProcTable()
  const children = new Map<number, number[]>()
  for (const p of table.values()) {
    const list = children.get(p.ppid)
    if (list) list.push(p.pid)
    else children.set(p.ppid, [p.pid])
  }
  const sample: CpuSample = {}
  for (const [name, pid] of Object.entries(roots)) {
    const root = table.get(pid)
    if (!root) continue
    const parts: Record<string, number> = {}
    let ticks = 0
    const stack = [pid]
    const seen = new Set<number>()
    while (stack.length) {
      const p = table.get(stack.pop()!)
      if (!p || seen.has(p.pid)) continue
      seen.add(p.pid)
      const own = p.ticks + p.childTicks
      ticks += own
      parts[`${p.comm}#${p.pid}`] = own
      stack.push(...(children.get(p.pid) ?? []))
    }
    sample[name] = { pid, ticks, parts }
  }
  return sample
}

/**
 * Microseconds of CPU per request between two samples, for the named processes (default:
 * every process in both samples). A process whose pid changed in between (restarted) counts
 * with its new life's time only.
 */
export function cpuMicrosPerRequest(
  start: CpuSample,
  end: CpuSample,
  requests: number,
  names: string[] = Object.keys(end),
): { total: number; perProcess: Record<string, number> } {
  const micros = 1e6 / clockTicksPerSecond()
  const perProcess: Record<string, number> = {}
  let total = 0
  for (const name of names) {
    const b = end[name]
    if (!b) continue
    const a = start[name]
    const ticks = a && a.pid === b.pid ? Math.max(0, b.ticks - a.ticks) : b.ticks
    const each = requests > 0 ? (ticks * micros) / requests : NaN
    perProcess[name] = Math.round(each)
    total += each
  }
  return { total: Math.round(total), perProcess }
}

/**
 * The same for the members of one process tree, grouped: a member named in `labels` (by its
 * part key, `workerd#1234`) under that label, any other under its executable's name.
 */
export function partsMicrosPerRequest(
  start: ProcessCpu | undefined,
  end: ProcessCpu | undefined,
  requests: number,
  labels: Record<string, string>,
): Record<string, number> {
  const ticks: Record<string, number> = {}
  if (!end || requests <= 0) return {}
  for (const [part, t] of Object.entries(end.parts)) {
    const label = labels[part] ?? part.slice(0, part.lastIndexOf('#'))
    ticks[label] = (ticks[label] ?? 0) + Math.max(0, t - (start?.parts[part] ?? 0))
  }
  const micros = 1e6 / clockTicksPerSecond()
  return Object.fromEntries(
    Object.entries(ticks).map(([label, t]) => [label, Math.round((t * micros) / requests)]),
  )
}
