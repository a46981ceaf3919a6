/**
 * Child processes of `portcullis up`: each in its own process group (so a component that
 * forks, like wrangler with workerd, is stopped whole), its output prefixed with its name,
 * ready when it prints the ready line or passes a check, and killed if the parent dies.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import {
  failureReason,
  isSetupErrorCode,
  SetupError,
  type SetupErrorCode,
  type SetupErrorOptions,
} from '../core/index.js'
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

/** A process of the stack that did not start, named; the code says why when it is known. */
export class StartError extends SetupError {
  constructor(
    readonly component: string,
    message: string,
    code: SetupErrorCode = 'PROCESS_START_FAILED',
    options: SetupErrorOptions = {},
  ) {
    super(code, `${component}: ${message}`, options)
    this.name = 'StartError'
  }

  /** `e` as the failure of `component`: a setup error keeps its code, key, file and action. */
  static of(component: string, e: unknown, fallback: SetupErrorCode): StartError {
    if (!(e instanceof SetupError)) return new StartError(component, failureReason(e), fallback)
    return new StartError(component, e.message, e.code, {
      ...(e.key === undefined ? {} : { key: e.key }),
      ...(e.file === undefined ? {} : { file: e.file }),
      action: e.action,
      cause: e,
    })
  }
}

/** How long a process that exited before it was ready may take to close its output. */
const OUTPUT_WAIT_MS = 500

/** One `name=value` of a log line (runtime/log.ts): the value bare, or quoted as JSON. */
const LOG_FIELD = / ([A-Za-z]+)=("(?:[^"\\]|\\.)*"|\S*)/g

/**
 * What a stage said when it could not start: its `start-failed` line's code, reason and action
 * (runtime/start-failure.ts writes them), or undefined for any other line.
 */
export function startFailureOf(
  line: string,
): { code: SetupErrorCode; reason?: string; action?: string } | undefined {
  if (!line.startsWith('error start-failed ')) return undefined
  const fields = new Map<string, string>()
  // Left to right, a quoted value whole: a `code=` inside a reason is never taken for a field.
  for (const [, name, value] of line.matchAll(LOG_FIELD)) {
    try {
      fields.set(name!, value!.startsWith('"') ? (JSON.parse(value!) as string) : value!)
    } catch {
      return undefined
    }
  }
  const code = fields.get('code')
  if (!isSetupErrorCode(code)) return undefined
  const reason = fields.get('reason')
  const action = fields.get('action')
  return { code, ...(reason && { reason }), ...(action && { action }) }
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
  const outputClosed = new Promise((resolve) => child.once('close', resolve))
  let sawReady = false
  let metricsPort: number | undefined
  let failure: ReturnType<typeof startFailureOf>
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      failure ??= startFailureOf(line)
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
      const early = `exited with code ${exitCode} before it was ready`
      // The process's own start-failed line names why (its code is the start's): read its
      // output to the end first, for a moment at most (a forked child may hold the pipes).
      await Promise.race([outputClosed, new Promise((r) => setTimeout(r, OUTPUT_WAIT_MS))])
      if (failure) {
        const { code, reason, action } = failure
        throw new StartError(opts.name, reason ? `${reason} (${early})` : early, code, {
          ...(action && { action }),
        })
      }
      throw new StartError(opts.name, early)
    }
    if (sawReady || (opts.readyCheck && (await opts.readyCheck().catch(() => false)))) break
    if (Date.now() > deadline) {
      // After a stalled event loop (a busy machine) timers run before the output that waited:
      // one last look once that output is read.
      await new Promise((r) => setImmediate(r))
      if (sawReady || exitCode !== undefined) continue
      await stop()
      throw new StartError(opts.name, 'not ready in time', 'PROCESS_START_FAILED', {
        action: 'read its lines above; on a busy machine try again',
      })
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
