/**
 * The supervisor with real child processes (small Node scripts): restarts after a crash with
 * a growing backoff, logged; stops that never race a restart; ordered stop of everything.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { spawnComponent } from './processes.js'
import { Supervisor, type ProcessSpec } from './supervisor.js'
import { pidAlive } from './state.js'

/** A process that says it is ready, then idles (or exits with `exitCode` at once). */
function script(name: string, exitCode?: number): ProcessSpec {
  const body =
    exitCode === undefined
      ? "process.stdout.write('ready\\n'); setInterval(() => undefined, 1000)"
      : `process.stdout.write('ready\\n'); setTimeout(() => process.exit(${exitCode}), 300)`
  return {
    name,
    component: name.replace(/\.\d+$/, ''),
    ports: [],
    start: () =>
      spawnComponent({
        name,
        command: process.execPath,
        args: ['-e', body],
        readyLine: 'ready',
        readyTimeoutMs: 60_000,
        onLine: () => undefined,
      }),
  }
}

/** Real processes start slowly on a busy machine: no test here depends on its speed. */
const SLOW = 90_000

let open: Supervisor[] = []
afterEach(async () => {
  for (const s of open) await s.stopAll()
  open = []
})

function supervisor(backoff = { initialMs: 50, maxMs: 400, resetAfterMs: 30_000 }) {
  const lines: string[] = []
  const s = new Supervisor({ onLine: (name, line) => lines.push(`${name} ${line}`), backoff })
  open.push(s)
  return { s, lines }
}

it(
  'SUP-001 a stage killed with SIGKILL is not left dead: restarted after the backoff, the signal and delay logged',
  async () => {
    const { s, lines } = supervisor()
    s.add(script('worker'))
    await s.start('worker')
    const [before] = s.processes()
    expect(before).toMatchObject({ state: 'running', restarts: 0 })
    await s.kill('worker', 'SIGKILL')
    expect(pidAlive(before!.pid)).toBe(false)
    expect(s.processes()[0]!.state).toBe('restarting')
    await s.waitRunning('worker', 60_000)
    const [after] = s.processes()
    expect(after).toMatchObject({ state: 'running', restarts: 1 })
    expect(after!.pid).not.toBe(before!.pid)
    expect(pidAlive(after!.pid)).toBe(true)
    expect(lines).toContain('worker warn supervisor exited signal=SIGKILL restart=1 delayMs=50')
    expect(
      lines.some((l) => l.startsWith(`worker info supervisor restarted pid=${after!.pid}`)),
    ).toBe(true)
  },
  SLOW,
)

it(
  'SUP-002 a process that keeps crashing cannot spin: each restart waits twice as long, up to the cap',
  async () => {
    const { s, lines } = supervisor()
    s.add(script('flappy', 3))
    await s.start('flappy')
    for (let i = 0; i < 1200 && s.processes()[0]!.restarts < 5; i++) {
      await new Promise((r) => setTimeout(r, 50))
    }
    const delays = lines
      .filter((l) => l.includes('exited code=3'))
      .map((l) => Number(/delayMs=(\d+)/.exec(l)![1]))
    expect(delays.slice(0, 6)).toEqual([50, 100, 200, 400, 400, 400].slice(0, delays.length))
    expect(delays.length).toBeGreaterThanOrEqual(5)
  },
  SLOW,
)

it(
  'SUP-003 a stop during the restart wait wins: the process is not started again',
  async () => {
    const { s } = supervisor({ initialMs: 300, maxMs: 300, resetAfterMs: 30_000 })
    s.add(script('worker'))
    await s.start('worker')
    await s.kill('worker')
    expect(s.processes()[0]!.state).toBe('restarting')
    await s.stop('worker')
    await new Promise((r) => setTimeout(r, 600))
    expect(s.processes()[0]).toMatchObject({ state: 'stopped', pid: 0, restarts: 0 })
  },
  SLOW,
)

it(
  'stops everything in the reverse of the start order, and starts nothing afterwards',
  async () => {
    const { s } = supervisor()
    const stopped: string[] = []
    for (const name of ['nats-a', 'stage.1', 'stage.2']) {
      const spec = script(name)
      s.add({
        ...spec,
        start: async () => {
          const handle = await spec.start()
          return { ...handle, stop: () => handle.stop().then(() => void stopped.push(name)) }
        },
      })
    }
    for (const name of s.names()) await s.start(name)
    const pids = s.processes().map((p) => p.pid)
    await s.stopAll()
    expect(stopped).toEqual(['stage.2', 'stage.1', 'nats-a'])
    expect(pids.filter(pidAlive)).toEqual([])
    await expect(s.start('nats-a')).rejects.toThrow(/stopped/)
  },
  SLOW,
)

it(
  'restart stops gracefully and resolves once the new process is ready',
  async () => {
    const { s } = supervisor()
    s.add(script('worker'))
    await s.start('worker')
    const before = s.processes()[0]!.pid
    await s.restart('worker')
    const after = s.processes()[0]!
    expect(after.state).toBe('running')
    expect(after.pid).not.toBe(before)
    expect(pidAlive(before)).toBe(false)
  },
  SLOW,
)

it(
  'SUP-021 a restart with a stop signal lets the process stop by itself on it (a nats-server in lame duck mode) before it is started again, without counting a crash',
  async () => {
    const { s } = supervisor()
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-sup-'))
    const mark = join(dir, 'stopped-by')
    const body =
      "process.stdout.write('ready\\n'); setInterval(() => undefined, 1000);" +
      `process.on('SIGUSR2', () => { require('fs').writeFileSync(${JSON.stringify(mark)}, 'SIGUSR2'); setTimeout(() => process.exit(0), 300) });` +
      `process.on('SIGTERM', () => { require('fs').writeFileSync(${JSON.stringify(mark)}, 'SIGTERM'); process.exit(7) })`
    s.add({
      name: 'node',
      component: 'node',
      ports: [],
      start: () =>
        spawnComponent({
          name: 'node',
          command: process.execPath,
          args: ['-e', body],
          readyLine: 'ready',
          readyTimeoutMs: 60_000,
          onLine: () => undefined,
        }),
    })
    try {
      await s.start('node')
      const [before] = s.processes()
      await s.restart('node', { signal: 'SIGUSR2', exitWithinMs: 10_000 })
      // It stopped on the signal by itself; the supervisor's SIGTERM never came.
      expect(readFileSync(mark, 'utf8')).toBe('SIGUSR2')
      const [after] = s.processes()
      expect(after).toMatchObject({ state: 'running', restarts: 0 })
      expect(after!.pid).not.toBe(before!.pid)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  },
  SLOW,
)
