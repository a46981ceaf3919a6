/**
 * Keeps the stack's processes running: a process that exits without being asked (a crash, a
 * `kill -9`) is started again after a backoff (250 ms doubling to 10 s, back to 250 ms once a
 * run lasted 30 s), each restart logged with the exit code or signal and the delay. Stopping
 * is asked per process or for all at once in reverse start order, and never races a restart:
 * a process asked to stop is never started again until asked to start.
 */
import type { ExitInfo } from './processes.js'
import { failureReason } from '../core/index.js'

/** A running process as its starter hands it back, once it is ready. */
export interface Handle {
  pid: number
  /** Resolves when the process has exited, however it ended. */
  exit: Promise<ExitInfo>
  /** Graceful stop (SIGTERM, then SIGKILL after a grace period); resolves once it exited. */
  stop(): Promise<void>
  /** The port its Prometheus metrics listen on, when it serves them. */
  readonly metricsPort?: number
}

export type ProcessState = 'starting' | 'running' | 'restarting' | 'stopped'

export interface ProcessSpec {
  /** `relay`, `relay.2`, `nats-dreq`, `nats-dreq.1`: see cli/README.md. */
  name: string
  /** The component it is one process of: `relay`, `backend-demo`, `nats-dreq`. */
  component: string
  /** 1..N when the component runs N > 1 replicas. */
  replica?: number
  /** 1..3 for a node of a clustered bus. */
  node?: number
  /** The ports it listens on (none for a stage: it only dials its buses). */
  ports: number[]
  /** Starts it and resolves once it is ready; rejects when it cannot start. */
  start(): Promise<Handle>
}

export interface ProcessInfo {
  name: string
  component: string
  replica?: number
  node?: number
  pid: number
  ports: number[]
  /** Its Prometheus `/metrics` port, while it runs and serves them. */
  metricsPort?: number
  state: ProcessState
  restarts: number
}

/** How `stop` asks a process to go: a signal it stops by itself on, and how long to wait. */
export interface StopHow {
  signal?: NodeJS.Signals
  exitWithinMs?: number
}

export interface Backoff {
  initialMs: number
  maxMs: number
  /** A run at least this long resets the delay to `initialMs`. */
  resetAfterMs: number
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 250, maxMs: 10_000, resetAfterMs: 30_000 }

export interface SupervisorOptions {
  /** Where restarts are told, under the process's name. */
  onLine: (name: string, line: string) => void
  /** Called after every change of a process's state or pid (the state file is rewritten). */
  onChange?: () => void
  backoff?: Partial<Backoff>
}

interface Entry {
  spec: ProcessSpec
  state: ProcessState
  /** Whether the process should run: false once asked to stop. */
  wanted: boolean
  handle?: Handle
  /** The start under way, if any. */
  starting?: Promise<void>
  startedAt: number
  delayMs: number
  timer?: NodeJS.Timeout
  restarts: number
  /** The waiters for the next `running`. */
  waiters: Array<() => void>
}

export function describeExit(exit: ExitInfo): string {
  return exit.signal ? `signal=${exit.signal}` : `code=${exit.code ?? 'unknown'}`
}

/** Sends `signal` to a process's group (a component that forked), else to the process. */
export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    try {
      process.kill(pid, signal)
    } catch {
      // already gone
    }
  }
}

export class Supervisor {
  private readonly entries = new Map<string, Entry>()
  private readonly backoff: Backoff
  private closed = false

  constructor(private readonly options: SupervisorOptions) {
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff }
  }

  add(spec: ProcessSpec): void {
    if (this.entries.has(spec.name)) {
      throw new Error(`unreachable: two processes named ${spec.name} (every name is unique)`)
    }
    this.entries.set(spec.name, {
      spec,
      state: 'stopped',
      wanted: false,
      startedAt: 0,
      delayMs: this.backoff.initialMs,
      restarts: 0,
      waiters: [],
    })
  }

  names(): string[] {
    return [...this.entries.keys()]
  }

  has(name: string): boolean {
    return this.entries.has(name)
  }

  processes(): ProcessInfo[] {
    return [...this.entries.values()].map(({ spec, state, handle, restarts }) => ({
      name: spec.name,
      component: spec.component,
      ...(spec.replica === undefined ? {} : { replica: spec.replica }),
      ...(spec.node === undefined ? {} : { node: spec.node }),
      pid: state === 'running' && handle ? handle.pid : 0,
      ports: spec.ports,
      ...(state === 'running' && handle?.metricsPort ? { metricsPort: handle.metricsPort } : {}),
      state,
      restarts,
    }))
  }

  /**
   * Starts a stopped process and resolves once it is ready. A first start that fails rejects
   * (and the process stays stopped); only a process that was running is restarted.
   */
  async start(name: string): Promise<void> {
    const entry = this.entry(name)
    if (this.closed) throw new Error('the supervisor is stopped')
    if (entry.wanted) return this.waitRunning(name)
    entry.wanted = true
    entry.delayMs = this.backoff.initialMs
    try {
      await this.launch(entry)
    } catch (e) {
      entry.wanted = false
      this.set(entry, 'stopped')
      throw e
    }
  }

  /**
   * Stops a process gracefully; it stays stopped (no restart) until started again. With
   * `signal`, that signal asks it to stop by itself (a nats-server's lame duck mode), and it
   * is stopped the usual way only if it has not exited within `exitWithinMs`.
   */
  stop(name: string, how?: StopHow): Promise<void> {
    return this.hold(name, how ?? {})
  }

  /** Kills a process outright (SIGKILL, no grace) and keeps it stopped until started again. */
  killAndHold(name: string): Promise<void> {
    return this.hold(name, { signal: 'SIGKILL', exitWithinMs: 0 })
  }

  private async hold(name: string, how: StopHow): Promise<void> {
    const entry = this.entry(name)
    entry.wanted = false
    clearTimeout(entry.timer)
    entry.timer = undefined
    await entry.starting?.catch(() => undefined)
    const handle = entry.handle
    if (handle) {
      if (how.signal) {
        signalProcess(handle.pid, how.signal)
        let timer: ReturnType<typeof setTimeout> | undefined
        await Promise.race([
          handle.exit,
          new Promise((r) => (timer = setTimeout(r, how.exitWithinMs ?? 0))),
        ])
        clearTimeout(timer)
      }
      await handle.stop().catch(() => undefined)
    }
    entry.handle = undefined
    this.set(entry, 'stopped')
  }

  /** Signals a process as a crash would (SIGKILL by default); the supervisor brings it back. */
  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const entry = this.entry(name)
    const handle = entry.handle
    if (!handle) throw new Error(`${name} is not running`)
    signalProcess(handle.pid, signal)
    await handle.exit
    // The exit was seen: the restart is scheduled, unless the process was stopped meanwhile.
    await Promise.resolve()
  }

  /** Graceful stop (see `stop`), then start; resolves once it is ready again. */
  async restart(name: string, how?: StopHow): Promise<void> {
    await this.stop(name, how)
    await this.start(name)
  }

  /** Resolves once the process runs (ready), or rejects after `timeoutMs`. */
  waitRunning(name: string, timeoutMs = 60_000): Promise<void> {
    const entry = this.entry(name)
    if (entry.state === 'running') return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        entry.waiters = entry.waiters.filter((w) => w !== done)
        reject(new Error(`${name} did not run within ${timeoutMs} ms (${entry.state})`))
      }, timeoutMs)
      const done = () => {
        clearTimeout(timer)
        resolve()
      }
      entry.waiters.push(done)
    })
  }

  /** Stops every process, in the reverse of `order` (default: the order they were added). */
  async stopAll(order: string[] = this.names()): Promise<void> {
    this.closed = true
    // No restart may begin once stopping has: every process is unwanted before any stops.
    for (const entry of this.entries.values()) {
      entry.wanted = false
      clearTimeout(entry.timer)
      entry.timer = undefined
    }
    for (const name of [...order].reverse()) await this.stop(name)
  }

  private entry(name: string): Entry {
    const entry = this.entries.get(name)
    if (!entry) throw new Error(`no process ${name}`)
    return entry
  }

  private set(entry: Entry, state: ProcessState): void {
    entry.state = state
    if (state === 'running') {
      const waiters = entry.waiters
      entry.waiters = []
      for (const w of waiters) w()
    }
    this.options.onChange?.()
  }

  /** One start attempt; on success the exit is watched. */
  private launch(entry: Entry): Promise<void> {
    if (entry.state !== 'restarting') this.set(entry, 'starting')
    const attempt = (async () => {
      const handle = await entry.spec.start()
      if (!entry.wanted) {
        // Asked to stop while it was starting.
        await handle.stop().catch(() => undefined)
        return
      }
      entry.handle = handle
      entry.startedAt = Date.now()
      if (entry.state === 'restarting') {
        this.options.onLine(
          entry.spec.name,
          `info supervisor restarted pid=${handle.pid} restarts=${entry.restarts}`,
        )
      }
      this.set(entry, 'running')
      void handle.exit.then((exit) => this.exited(entry, handle, exit))
    })()
    entry.starting = attempt
    void attempt.then(
      () => entry.starting === attempt && (entry.starting = undefined),
      () => entry.starting === attempt && (entry.starting = undefined),
    )
    return attempt
  }

  private exited(entry: Entry, handle: Handle, exit: ExitInfo): void {
    if (entry.handle !== handle) return
    entry.handle = undefined
    // Asked to stop: `stop` sets the state once the stop is complete.
    if (!entry.wanted) return
    if (Date.now() - entry.startedAt >= this.backoff.resetAfterMs) {
      entry.delayMs = this.backoff.initialMs
    }
    this.set(entry, 'restarting')
    this.schedule(entry, `exited ${describeExit(exit)}`)
  }

  private schedule(entry: Entry, why: string): void {
    const delay = entry.delayMs
    entry.delayMs = Math.min(delay * 2, this.backoff.maxMs)
    this.options.onLine(
      entry.spec.name,
      `warn supervisor ${why} restart=${entry.restarts + 1} delayMs=${delay}`,
    )
    entry.timer = setTimeout(() => {
      entry.timer = undefined
      if (!entry.wanted) return
      entry.restarts++
      this.launch(entry).catch((e: unknown) => {
        if (!entry.wanted) return
        const reason = failureReason(e)
        this.schedule(entry, `start-failed reason=${JSON.stringify(reason)}`)
      })
    }, delay)
  }
}
