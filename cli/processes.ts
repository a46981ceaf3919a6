/**
 * Child processes of `portcullis up`: each in its own process group (so a component that
 * forks, like wrangler with workerd, is stopped whole), its output prefixed with its name,
 * ready when it prints the ready line or passes a check, and killed if the parent dies.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'

export interface ManagedProcess {
  name: string
  pid: number
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>
  stop(): Promise<void>
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
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      live.delete(child)
      resolve(code)
    })
    child.on('error', () => {
      live.delete(child)
      resolve(127)
    })
  })
  let sawReady = false
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      if (opts.readyLine && line.startsWith(opts.readyLine)) sawReady = true
      else opts.onLine(opts.name, line)
    })
  }

  const stop = async () => {
    killGroup(child, 'SIGTERM')
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
    // Anything the component forked and left behind goes with its group.
    killGroup(child, 'SIGKILL')
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
      await stop()
      throw new StartError(opts.name, 'not ready in time')
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return { name: opts.name, pid: child.pid!, exited, stop }
}
