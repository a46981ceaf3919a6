/**
 * Child processes of `portcullis up`: each in its own process group (so a component that
 * forks, like wrangler with workerd, is stopped whole), its output prefixed with its name,
 * ready when it prints the ready line or passes a check, and killed if the parent dies.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { METRICS_LINE } from '../runtime/index.js'

/** How a process ended: its exit code, or the signal that ended it. */
export interface ExitInfo {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface ManagedProcess {
  name: string
  pid: number
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>
  /** Resolves with the exit code or the signal. */
  exit: Promise<ExitInfo>
  stop(): Promise<void>
  /** The port its Prometheus metrics listen on, once it said so (`METRICS_LINE`). */
  metricsPort?: number
}

export interface SpawnOptions {
  name: string
  command: string
  args: string[]
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** Ready when a stdout line starts with this text... */
  readyLine?: string
  /** ...or when this check passes (polled). */
  readyCheck?: () => Promise<boolean>
  readyTimeoutMs?: number
  onLine: (name: string, line: string) => void
}

const live = new Set<ChildProcess>()

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    try {
      child.kill(signal)
    } catch {
      // already gone
    }
  }
}

process.on('exit', () => {
  for (const child of live) killGroup(child, 'SIGKILL')
})

export class StartError extends Error {
  constructor(
    readonly component: string,
    message: string,
  ) {
    super(`${component}: ${message}`)
    this.name = 'StartError'
  }
}

export async function spawnComponent(opts: SpawnOptions): Promise<ManagedProcess> {
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  live.add(child)
  const exit = new Promise<ExitInfo>((resolve) => {
    child.on('exit', (code, signal) => {
      live.delete(child)
      resolve({ code, signal })
    })
    child.on('error', () => {
      live.delete(child)
      resolve({ code: 127, signal: null })
    })
  })
  const exited = exit.then((e) => e.code)
  let sawReady = false
  let metricsPort: number | undefined
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      if (opts.readyLine && line.startsWith(opts.readyLine)) sawReady = true
      else if (stream === child.stdout && line.startsWith(`${METRICS_LINE} `)) {
        const port = Number(line.slice(METRICS_LINE.length + 1))
        if (Number.isInteger(port) && port > 0 && port < 65536) metricsPort = port
      } else opts.onLine(opts.name, line)
    })
  }

  const stop = async () => {
    killGroup(child, 'SIGTERM')
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
    // Anything the component forked and left behind goes with its group.
    try {
      process.kill(-child.pid!, 'SIGKILL')
    } catch {
      // the group is gone with its leader
    }
  }

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000)
  let exitCode: number | null | undefined
  void exited.then((code) => (exitCode = code))
  for (;;) {
    if (exitCode !== undefined) {
      throw new StartError(opts.name, `exited with code ${exitCode} before it was ready`)
    }
    if (sawReady || (opts.readyCheck && (await opts.readyCheck().catch(() => false)))) break
    if (Date.now() > deadline) {
      // After a stalled event loop (a busy machine) timers run before the output that waited:
      // one last look once that output is read.
      await new Promise((r) => setImmediate(r))
      if (sawReady || exitCode !== undefined) continue
      await stop()
      throw new StartError(opts.name, 'not ready in time')
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return {
    name: opts.name,
    pid: child.pid!,
    exited,
    exit,
    stop,
    get metricsPort() {
      return metricsPort
    },
  }
}
