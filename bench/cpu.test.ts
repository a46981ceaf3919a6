import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { afterEach, describe, expect, it } from 'vitest'
import {
  clockTicksPerSecond,
  cpuMicrosPerRequest,
  parseStat,
  partsMicrosPerRequest,
  sampleCpu,
} from './cpu.js'

const started: ChildProcess[] = []
afterEach(() => {
  for (const child of started.splice(0)) child.kill('SIGKILL')
})

function nextLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => createInterface({ input: child.stdout! }).once('line', resolve))
}

/** A Node process that, on each line it reads, spends `ms` of its own CPU and reports it (µs). */
const BURNER = `
const rl = require('node:readline').createInterface({ input: process.stdin })
console.log('ready')
rl.on('line', (ms) => {
  const t0 = process.cpuUsage()
  let x = 0
  for (;;) {
    for (let i = 0; i < 1e5; i++) x += Math.sqrt(i)
    const d = process.cpuUsage(t0)
    if (d.user + d.system >= Number(ms) * 1000) { console.log(String(d.user + d.system)); break }
  }
})
`

describe('CPU accounting from /proc', () => {
  it('parses a stat line whose command name holds spaces and parentheses', () => {
    const line = '4242 (tricky ) name) S 17 4242 4242 0 -1 4194560 1 2 3 4 150 25 7 3 20 0 1 0 5'
    expect(parseStat(line)).toEqual({
      pid: 4242,
      ppid: 17,
      comm: 'tricky ) name',
      ticks: 175,
      childTicks: 10,
    })
  })

  it("counts a process's own CPU time, and only the named processes, not the sampler", async () => {
    const child = spawn(process.execPath, ['-e', BURNER], { stdio: ['pipe', 'pipe', 'inherit'] })
    started.push(child)
    expect(await nextLine(child)).toBe('ready')
    const roots = { burner: child.pid! }
    const before = sampleCpu(roots)
    child.stdin!.write('400\n')
    const reported = Number(await nextLine(child))
    const after = sampleCpu(roots)
    // Four "requests": the figure is per request; the sampler's own process is no root.
    const { total, perProcess } = cpuMicrosPerRequest(before, after, 4)
    expect(Object.keys(perProcess)).toEqual(['burner'])
    const tick = 1e6 / clockTicksPerSecond()
    // The kernel's ticks against the process's own reading: equal within a few ticks.
    expect(Math.abs(total * 4 - reported)).toBeLessThanOrEqual(4 * tick)
    expect(total * 4).toBeGreaterThanOrEqual(300_000)
  }, 30_000)

  it("sums a component's descendants, and reports a chosen member apart", async () => {
    // A shell that forks a CPU-spending Node child: the component's time includes the child's.
    const child = spawn('sh', ['-c', `"${process.execPath}" -e "$BURNER"; echo done`], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, BURNER },
    })
    started.push(child)
    expect(await nextLine(child)).toBe('ready')
    const roots = { component: child.pid! }
    const before = sampleCpu(roots)
    const members = Object.keys(before.component!.parts)
    expect(members).toHaveLength(2)
    const node = members.find((m) => !m.startsWith('sh#'))!
    child.stdin!.write('200\n')
    const reported = Number(await nextLine(child))
    const after = sampleCpu(roots)
    const tick = 1e6 / clockTicksPerSecond()
    const { total } = cpuMicrosPerRequest(before, after, 1)
    expect(Math.abs(total - reported)).toBeLessThanOrEqual(4 * tick)
    const parts = partsMicrosPerRequest(before.component, after.component, 1, { [node]: 'burner' })
    expect(Object.keys(parts).sort()).toEqual(['burner', 'sh'])
    expect(Math.abs(parts.burner! - reported)).toBeLessThanOrEqual(4 * tick)
  }, 30_000)

  it('counts a restarted process (new pid) with its new life only', () => {
    const a = { relay: { pid: 10, ticks: 500, parts: {} } }
    const b = { relay: { pid: 11, ticks: 20, parts: {} } }
    expect(cpuMicrosPerRequest(a, b, 2, ['relay']).total).toBe(
      (20 * 1e6) / clockTicksPerSecond() / 2,
    )
  })
})
