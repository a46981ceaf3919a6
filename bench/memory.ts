/** Peak resident memory (VmHWM) of a process and everything in its process group, Linux only. */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

function vmHwmKb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const m = /VmHWM:\s+(\d+) kB/.exec(status)
    return m ? Number(m[1]) : 0
  } catch {
    return 0
  }
}

/** Peak resident MB of `pid` and of the other members of its process group. */
export function peakResidentMb(pid: number): { mb: number; processes: number } {
  let pids = [pid]
  try {
    const table = execFileSync('ps', ['-e', '-o', 'pid=,pgid='], { encoding: 'utf8' })
    const group = table
      .split('\n')
      .map((l) => l.trim().split(/\s+/).map(Number))
      .filter(([, pgid]) => pgid === pid)
      .map(([p]) => p!)
    if (group.length) pids = [...new Set([pid, ...group])]
  } catch {
    // ps missing: the process alone
  }
  const kb = pids.reduce((sum, p) => sum + vmHwmKb(p), 0)
  return { mb: Math.round(kb / 102.4) / 10, processes: pids.length }
}
