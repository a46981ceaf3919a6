/**
 * The live process table of a running stack, `<paths.data>/stack.json`: written by the stack
 * on every change (atomically, by rename), removed when it stops, read by `portcullis status`.
 * A file whose writer is gone is stale: the stack was killed without stopping.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { SetupError } from '../core/index.js'
import type { ProcessInfo } from './supervisor.js'

export const STATE_FILE = 'stack.json'

export interface StateProcess extends ProcessInfo {
  /** The address its ports listen on. */
  host: string
}

export interface StackState {
  version: 1
  /** The process that runs the stack (`portcullis up`, or a test's runner). */
  pid: number
  startedAt: string
  updatedAt: string
  configFile: string
  /** The ingress, when the stack runs the edge. */
  url?: string
  processes: StateProcess[]
}

export function stateFileOf(dataDir: string): string {
  return join(dataDir, STATE_FILE)
}

export function writeState(file: string, state: StackState): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  const next = `${file}.${process.pid}.tmp`
  writeFileSync(next, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 })
  renameSync(next, file)
}

/** The state file's table, or undefined when there is none; throws on a file it cannot read. */
export function readState(file: string): StackState | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw e
  }
  const refused = () =>
    new SetupError('PROCESS_START_FAILED', `${file} is not a stack state file`, {
      file,
      action: 'remove it when no portcullis up is running (`portcullis status` reads it)',
    })
  let state: StackState
  try {
    state = JSON.parse(text) as StackState
  } catch {
    throw refused()
  }
  if (state?.version !== 1 || !Array.isArray(state.processes) || !Number.isInteger(state.pid)) {
    throw refused()
  }
  return state
}

export function removeState(file: string): void {
  rmSync(file, { force: true })
}

/** Whether a process with this pid exists (signal 0 probes without sending anything). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** What a start found of an earlier stack's process table. */
export type EarlierStack =
  | { kind: 'none' }
  /** Its `portcullis up` still runs: a second one would fight it for every port. */
  | { kind: 'running'; pid: number }
  /** Its `up` was killed without stopping: what it left running was stopped. */
  | { kind: 'stale'; stopped: string[] }

const REAP_WAIT_MS = 5_000

/** A process's command line, or '' when it is gone or not readable. */
export function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')
  } catch {
    return ''
  }
}

/**
 * Reads the table an earlier stack left in `file`. A stale one's processes that still run are
 * stopped (SIGTERM to the process and its group, SIGKILL after 5 s) and the table removed;
 * only processes whose command line names `dataDir` (their config, bundle or store), so a
 * pid reused since by something else is left alone.
 */
export async function reapEarlierStack(file: string, dataDir: string): Promise<EarlierStack> {
  const state = readState(file)
  if (!state) return { kind: 'none' }
  if (state.pid !== process.pid && pidAlive(state.pid)) return { kind: 'running', pid: state.pid }
  // Pids are reused (Linux's pid_max is often 32768): a pid is ours only while its command
  // line names our data folder, checked again before every signal.
  const ours = (pid: number) => pidAlive(pid) && commandLineOf(pid).includes(dataDir)
  const left = state.processes.filter((p) => ours(p.pid))
  const signal = (pid: number, sig: NodeJS.Signals) => {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, sig)
      } catch {
        // not a group leader, or gone already
      }
    }
  }
  for (const p of left) signal(p.pid, 'SIGTERM')
  const until = Date.now() + REAP_WAIT_MS
  while (left.some((p) => ours(p.pid)) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100))
  }
  const stubborn = left.filter((p) => ours(p.pid))
  for (const p of stubborn) signal(p.pid, 'SIGKILL')
  while (stubborn.some((p) => ours(p.pid)) && Date.now() < until + REAP_WAIT_MS) {
    await new Promise((r) => setTimeout(r, 100))
  }
  removeState(file)
  return { kind: 'stale', stopped: left.map((p) => p.name) }
}
