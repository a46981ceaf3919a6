/**
 * `portcullis up` itself killed with SIGKILL: nothing stops what it started. Its stage
 * processes notice their supervisor is gone and stop; the nats-servers it left are stopped by
 * the next start, which reads the stale process table, so the stack comes back on its ports.
 * A start while an `up` still runs the stack is refused instead of fighting it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { BASE_CONFIG_FILE, ephemeralSetup } from '../../cli/ephemeral.js'
import { REPO_ROOT, startStack, type Stack } from '../../cli/stack.js'
import { commandLineOf, pidAlive, readState, type StackState } from '../../cli/state.js'

const SLOW = 240_000

let setup: Awaited<ReturnType<typeof ephemeralSetup>>
let child: ChildProcess
let earlier: StackState

/** Starts the stack in a process of its own; resolves with its state file once it serves. */
function startInChild(): Promise<string> {
  child = spawn(
    process.execPath,
    ['--import', 'tsx', 'tests/harness/stack-process.ts', JSON.stringify(setup.overrides)],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  )
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('stack-ready ')) resolve(line.slice('stack-ready '.length))
    })
    child.once('exit', (code) => reject(new Error(`the stack process exited (${code})`)))
  })
}

/** Whether `pid` is still one of this test's processes (pids are reused). */
const ours = (pid: number) => pidAlive(pid) && commandLineOf(pid).includes(setup.dir)

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 100))
  return check()
}

const start = (lines: string[] = []): Promise<Stack> =>
  startStack({
    configFile: BASE_CONFIG_FILE,
    overrides: setup.overrides,
    edge: false,
    onLine: (name, line) => lines.push(`${name} ${line}`),
  })

beforeAll(async () => {
  setup = await ephemeralSetup()
  earlier = readState(await startInChild())!
}, SLOW)

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL')
  // Only what is still ours: pids are reused, and other suites run beside this one.
  for (const p of earlier?.processes ?? []) {
    if (ours(p.pid)) process.kill(p.pid, 'SIGKILL')
  }
  rmSync(setup.dir, { recursive: true, force: true })
})

it(
  'SUP-019 a second start of a stack whose up still runs is refused, and stops nothing of it',
  async () => {
    await expect(start()).rejects.toThrow(/another portcullis up \(pid \d+\) runs this stack/)
    for (const p of earlier.processes) expect(ours(p.pid), p.name).toBe(true)
  },
  SLOW,
)

it(
  'SUP-018 up killed with SIGKILL: its stages stop by themselves, and the next start stops the nats-servers it left and serves on the same ports',
  async () => {
    child.kill('SIGKILL')
    const stages = earlier.processes.filter((p) => !p.name.startsWith('nats-'))
    const servers = earlier.processes.filter((p) => p.name.startsWith('nats-'))
    expect(stages.length).toBeGreaterThan(0)
    expect(await until(() => stages.every((p) => !ours(p.pid)), 15_000)).toBe(true)
    // A nats-server does not watch its parent: it holds its ports until the next start.
    expect(servers.every((p) => ours(p.pid))).toBe(true)

    const lines: string[] = []
    const stack = await start(lines)
    try {
      expect(lines.join('\n')).toMatch(/stopped-leftovers names=.*nats-/)
      for (const p of servers) expect(ours(p.pid), p.name).toBe(false)
      expect(stack.processes().every((p) => p.state === 'running')).toBe(true)
    } finally {
      await stack.stop()
    }
  },
  SLOW,
)
