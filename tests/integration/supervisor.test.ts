/**
 * The stack's supervisor for real: the whole on-prem stack as `portcullis up` runs it (no
 * workerd; requests go over the link's WebSocket listener as the edge identity), two request
 * validator replicas on one durable consumer, processes killed with SIGKILL and brought back,
 * and `portcullis status --json` reading the live process table.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { NatsConnection } from '@nats-io/nats-core'
import { startEphemeralStack, type EphemeralStack } from '../../cli/ephemeral.js'
import { REPO_ROOT } from '../../cli/stack.js'
import { pidAlive, writeState } from '../../cli/state.js'
import { statusReport, type StatusReport } from '../../cli/commands/status.js'
import { connectLinkWebsocket } from '../harness/buses.js'
import { getThroughLink } from '../harness/link-get.js'

/** Per test: processes restart and the CLI starts on cores other suites and benchmarks share. */
const SLOW = 240_000

let stack: EphemeralStack
let link: NatsConnection
/** Every line each process printed, by process name. */
const lines = new Map<string, string[]>()

beforeAll(async () => {
  // The stages log each message they pass at debug level: how a replica's work shows.
  const level = process.env.PORTCULLIS_LOG_LEVEL
  process.env.PORTCULLIS_LOG_LEVEL = 'debug'
  stack = await startEphemeralStack(
    { replicas: { requestValidator: 2 } },
    {
      edge: false,
      onLine: (name, line) => {
        const list = lines.get(name) ?? []
        list.push(line)
        lines.set(name, list)
      },
    },
  ).finally(() => {
    if (level === undefined) delete process.env.PORTCULLIS_LOG_LEVEL
    else process.env.PORTCULLIS_LOG_LEVEL = level
  })
  const edge = stack.topology.identities.find((i) => i.kind === 'edge')!
  link = await connectLinkWebsocket(
    { topology: stack.topology, keysDir: stack.config.paths.keys },
    edge.id,
  )
}, 300_000)

afterAll(async () => {
  await link?.close().catch(() => undefined)
  await stack?.dispose()
})

/** One GET /orders as the edge sends it; resolves with the status (0: no answer in time). */
const get = () => getThroughLink(link, stack.config.edge.id)

/** Retries until a request is answered 200 (a bus coming back); the time it took, in ms. */
async function untilServed(limitMs = 120_000): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < limitMs) {
    if ((await get()).status === 200) return Date.now() - started
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`no request served within ${limitMs} ms`)
}

function status(...args: string[]): Promise<{ code: number; report: StatusReport; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(REPO_ROOT, 'cli', 'portcullis.mjs'), 'status', ...args],
      { cwd: REPO_ROOT, timeout: 180_000 },
      (error, stdout) => {
        const code = error ? ((error as { code?: number }).code ?? 1) : 0
        let report = {} as StatusReport
        if (args.includes('--json')) report = JSON.parse(stdout) as StatusReport
        resolve({ code: typeof code === 'number' ? code : 1, report, out: stdout })
      },
    )
  })
}

const running = (name: string) => stack.processes().find((p) => p.name === name)!

it(
  'SUP-010 replicas share one durable consumer: both request validator processes take messages',
  async () => {
    const names = stack.processes().map((p) => p.name)
    expect(names).toEqual(expect.arrayContaining(['request-validator.1', 'request-validator.2']))
    expect(names).not.toContain('request-validator')
    const [one, two] = [running('request-validator.1'), running('request-validator.2')]
    expect(one).toMatchObject({ component: 'request-validator', replica: 1, state: 'running' })
    expect(two).toMatchObject({ component: 'request-validator', replica: 2, state: 'running' })
    expect(one.pid).not.toBe(two.pid)

    // A replica's log names the request ids it handled.
    const seen = (name: string, ids: Set<string>) =>
      (lines.get(name) ?? []).some((l) => [...ids].some((id) => l.includes(id)))
    const ids = new Set<string>()
    const statuses: number[] = []
    for (let round = 0; round < 10; round++) {
      const batch = await Promise.all(Array.from({ length: 16 }, () => get()))
      for (const r of batch) {
        ids.add(r.requestId)
        statuses.push(r.status)
      }
      if (seen('request-validator.1', ids) && seen('request-validator.2', ids)) break
    }
    expect(statuses.every((s) => s === 200)).toBe(true)
    expect(seen('request-validator.1', ids)).toBe(true)
    expect(seen('request-validator.2', ids)).toBe(true)
  },
  SLOW,
)

it(
  'SUP-011 status --json lists every process of the stack with a live pid, its ports answering',
  async () => {
    const { code, report } = await status('--json', '--state', stack.stateFile!)
    expect(code).toBe(0)
    expect(report).toMatchObject({ found: true, stale: false, down: 0 })
    expect(report.supervisor).toEqual({ pid: process.pid, alive: true })
    expect(report.processes.map((p) => p.name).sort()).toEqual(stack.components.slice().sort())
    for (const p of report.processes) {
      expect(p).toMatchObject({ state: 'running', alive: true, health: 'up' })
      expect(p.pid).toBe(running(p.name).pid)
      expect(Object.values(p.answering).every(Boolean)).toBe(true)
    }
    const dreq = report.processes.find((p) => p.name === 'nats-dreq')!
    expect(dreq.ports).toEqual([stack.config.bus.ports.dreq])
    expect(report.processes.find((p) => p.name === 'demo')!.ports).toEqual([stack.config.demo.port])
  },
  SLOW,
)

it(
  'SUP-012 a stage process killed with SIGKILL is restarted by the supervisor, logged, and status shows the new pid',
  async () => {
    const before = running('request-validator.1')
    await stack.kill('request-validator.1')
    expect(pidAlive(before.pid)).toBe(false)
    // Its replica keeps serving meanwhile.
    expect((await get()).status).toBe(200)
    await stack.waitRunning('request-validator.1', 180_000)
    const after = running('request-validator.1')
    expect(after.pid).not.toBe(before.pid)
    expect(after.restarts).toBe(before.restarts + 1)
    expect(lines.get('request-validator.1')).toContain(
      'warn supervisor exited signal=SIGKILL restart=1 delayMs=250',
    )
    expect((await get()).status).toBe(200)

    // What `portcullis status --json` prints (SUP-011 runs the command itself).
    const report = await statusReport(stack.stateFile!)
    expect(report.down).toBe(0)
    expect(report.processes.find((p) => p.name === 'request-validator.1')).toMatchObject({
      pid: after.pid,
      restarts: 1,
      alive: true,
      health: 'up',
    })
  },
  SLOW,
)

it(
  'SUP-013 a nats-server killed with SIGKILL is restarted on its port, and the path serves again',
  async () => {
    const before = running('nats-dreq')
    await stack.kill('nats-dreq')
    expect(pidAlive(before.pid)).toBe(false)
    await stack.waitRunning('nats-dreq', 180_000)
    const after = running('nats-dreq')
    expect(after.pid).not.toBe(before.pid)
    expect(after.restarts).toBe(before.restarts + 1)
    const servedAfterMs = await untilServed()
    console.log(`nats-dreq killed: served again ${servedAfterMs} ms after its restart was ready`)

    const report = await statusReport(stack.stateFile!)
    expect(report.down).toBe(0)
    expect(report.processes.find((p) => p.name === 'nats-dreq')).toMatchObject({
      pid: after.pid,
      restarts: 1,
      health: 'up',
      answering: { [String(stack.config.bus.ports.dreq)]: true },
    })
  },
  SLOW,
)

it(
  'SUP-014 a stopped process is reported down (exit 1) and is not restarted behind the operator',
  async () => {
    await stack.stopComponent('response-validator')
    try {
      await new Promise((r) => setTimeout(r, 600))
      expect(running('response-validator')).toMatchObject({ state: 'stopped', pid: 0 })
      const { code, report } = await status('--json', '--state', stack.stateFile!)
      expect(code).toBe(1)
      expect(report.down).toBe(1)
      expect(report.processes.find((p) => p.name === 'response-validator')).toMatchObject({
        state: 'stopped',
        health: 'down',
      })
    } finally {
      await stack.startComponent('response-validator')
    }
    expect((await get()).status).toBe(200)
  },
  SLOW,
)

it(
  'SUP-015 a stale process table (its up is gone) is said so, and status exits 1',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-status-'))
    try {
      const file = join(dir, 'stack.json')
      writeState(file, {
        version: 1,
        pid: 2 ** 22 + 1, // above Linux's pid_max: never a live process
        startedAt: new Date().toISOString(),
        updatedAt: new Date().toISOString(),
        configFile: 'portcullis.config.json',
        processes: [
          {
            name: 'relay',
            component: 'relay',
            pid: 2 ** 22 + 2,
            ports: [],
            state: 'running',
            restarts: 0,
            host: '127.0.0.1',
          },
        ],
      })
      const text = await status('--state', file)
      expect(text.code).toBe(1)
      expect(text.out).toMatch(/^STALE: .*no longer running/m)
      expect(await statusReport(file)).toMatchObject({ found: true, stale: true, down: 1 })
      expect(await statusReport(join(dir, 'none.json'))).toMatchObject({ found: false })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  },
  SLOW,
)

it(
  'SUP-017 a rolling restart of the request validator replicas under load fails no request',
  async () => {
    const before = ['request-validator.1', 'request-validator.2'].map((n) => running(n).pid)
    let rolling = true
    const statuses: number[] = []
    const errors: string[] = []
    const load = Array.from({ length: 4 }, async () => {
      while (rolling) {
        const r = await get()
        statuses.push(r.status)
        if (r.error) errors.push(r.error)
        // Timers and I/O get their turn even when an answer comes at once.
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    })
    try {
      await stack.rollingRestart({ include: (p) => p.component === 'request-validator' })
    } finally {
      rolling = false
      await Promise.all(load)
    }
    const after = ['request-validator.1', 'request-validator.2'].map((n) => running(n))
    expect(after.map((p) => p.state)).toEqual(['running', 'running'])
    expect(after.map((p) => p.pid).filter((pid) => before.includes(pid))).toEqual([])
    expect(before.filter(pidAlive)).toEqual([])
    expect(statuses.length).toBeGreaterThan(0)
    expect(errors).toEqual([])
    expect(statuses.filter((s) => s !== 200)).toEqual([])
    console.log(`rolling restart of 2 validator replicas: ${statuses.length} requests, all 200`)
  },
  SLOW,
)

it(
  'SUP-016 the stop is ordered and removes the process table; nothing it started is left',
  async () => {
    const pids = stack.processes().map((p) => p.pid)
    const file = stack.stateFile!
    expect(existsSync(file)).toBe(true)
    await link.close()
    await stack.stop()
    expect(existsSync(file)).toBe(false)
    expect(pids.filter(pidAlive)).toEqual([])
    expect(stack.processes().every((p) => p.state === 'stopped')).toBe(true)
  },
  SLOW,
)
